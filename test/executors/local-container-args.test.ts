/** The `podman run` command line of a step, without running anything. */
import { describe, expect, it } from 'vitest';
import { containerEnd, containerName, passedEnv, planMounts, runArgs } from '../../src/executors/_container.js';
import { localContainerConfig, settingsFor } from '../../src/executors/local-container.js';
import type { PipelineNode } from '../../src/graph/model.js';

describe('planMounts', () => {
  it('keeps one mount per tree, parents first, a read-write parent covering a read-only child', () => {
    expect(
      planMounts([
        { host: '/work/project/.run_log_store', readOnly: false },
        { host: '/opt/runnable-ts', readOnly: true },
        { host: '/work/project', readOnly: false },
        { host: '/work/project/node_modules/runnable-ts', readOnly: true },
      ]),
    ).toEqual([
      { host: '/work/project', readOnly: false },
      { host: '/opt/runnable-ts', readOnly: true },
    ]);
  });

  it('mounts a read-write folder inside a read-only one', () => {
    expect(planMounts([{ host: '/repo', readOnly: true }, { host: '/repo/examples', readOnly: false }])).toEqual([
      { host: '/repo', readOnly: true },
      { host: '/repo/examples', readOnly: false },
    ]);
  });
});

describe('runArgs', () => {
  const args = runArgs({
    image: 'sha256:abc',
    name: containerName('run-1', 'map_step.3.inner step; rm -rf /'),
    cwd: '/work/p',
    mounts: [{ host: '/work/p', readOnly: false }],
    env: { GREETING: 'hello "world" $(x)' },
    passEnv: ['API_TOKEN'],
    labels: { 'runnable.step': 'map_step.3.inner step; rm -rf /' },
    remove: true,
    network: 'host',
    options: ['--cpus=2'],
    command: ['node', '/opt/runnable-ts/bin/runnable.js', 'execute-single-node', 'run-1', 'p.yaml', 'map_step.map_variable_placeholder.inner step'],
  });

  it('is an argument array: user values are single arguments, never parsed by a shell', () => {
    expect(args).toContain('GREETING=hello "world" $(x)');
    expect(args).toContain('runnable.step=map_step.3.inner step; rm -rf /');
    expect(args.slice(-7)).toEqual([
      'sha256:abc',
      'node',
      '/opt/runnable-ts/bin/runnable.js',
      'execute-single-node',
      'run-1',
      'p.yaml',
      'map_step.map_variable_placeholder.inner step',
    ]);
  });

  it('passes secrets by name only, mounts at the same path, runs in the working directory', () => {
    expect(args.join(' ')).toContain('--env API_TOKEN --env GREETING=');
    expect(args).toEqual(expect.arrayContaining(['--rm', '--volume', '/work/p:/work/p', '--workdir', '/work/p', '--network', 'host', '--cpus=2']));
    expect(args[args.indexOf('--name') + 1]).toMatch(/^runnable-run-1-map_step\.3\.inner-step-rm-rf-[0-9a-f]{6}-[0-9a-f]{6}$/);
  });
});

describe('settings of a step', () => {
  const config = localContainerConfig.parse({
    image: 'base:1',
    environment: { A: 1, B: 'b' },
    overrides: { big: { docker_image: 'big:2', environment: { B: 'B' }, network: 'none', run_options: ['--memory=8g'] } },
  });
  const task = (overrides: Record<string, string> = {}) => ({ type: 'task', internalName: 't', overrides }) as unknown as PipelineNode;

  it('takes the config, with a step override merged over it', () => {
    expect(settingsFor(config, task())).toEqual({ image: 'base:1', environment: { A: '1', B: 'b' }, runOptions: [], remove: true, network: 'host' });
    expect(settingsFor(config, task({ 'local-container': 'big' }))).toEqual({
      image: 'big:2',
      environment: { A: '1', B: 'B' },
      runOptions: ['--memory=8g'],
      remove: true,
      network: 'none',
    });
  });

  it('rejects an unknown override and a missing image', () => {
    expect(() => settingsFor(config, task({ 'local-container': 'huge' }))).toThrow(/override 'huge'.*defined: big/);
    expect(localContainerConfig.safeParse({}).success).toBe(false);
    expect(localContainerConfig.safeParse({ docker_image: 'a', image: 'b' }).success).toBe(false);
  });
});

describe('containerEnd', () => {
  const r = (exitCode: number) => containerEnd({ exitCode, stdout: '', stderrTail: '' });
  it('names the signal that killed a container and the engine failing to run one', () => {
    expect(r(137).signal).toBe('SIGKILL (its container exited with status 137)');
    expect(r(125).error).toMatch(/engine could not run it/);
    expect(r(1)).toEqual({ exitCode: 1, stdout: '', stderrTail: '' });
  });
});

it('passes RUNNABLE_* and the step secrets that are set, by name', () => {
  process.env.RUNNABLE_PRM_x = '1';
  process.env.SOME_SECRET = 's3cret';
  try {
    const names = passedEnv(['SOME_SECRET', 'NOT_SET_ANYWHERE']);
    expect(names).toContain('RUNNABLE_PRM_x');
    expect(names).toContain('SOME_SECRET');
    expect(names).not.toContain('NOT_SET_ANYWHERE');
  } finally {
    delete process.env.RUNNABLE_PRM_x;
    delete process.env.SOME_SECRET;
  }
});
