/**
 * The `argo` executor as a compiler: every example pipeline compiles to a Workflow that the
 * official Argo schema accepts strictly (unknown fields are errors); the shape of what it writes
 * (DAGs, fan pods, withParam/when, recursion for loops, on_failure edges, retryStrategy, names);
 * runnable's own Argo configs as written; bad config is exit 2 naming the key, nothing written;
 * and a manifest written creates no run.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { executePipeline } from '../../src/runner/execute.js';
import { argoProblem } from '../../src/executors/argo/schema.js';
import { k8sName } from '../../src/executors/argo/names.js';
import { INITIAL_PARAMETERS, REPO } from '../examples/_run.js';
import { cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';
import { argoConfig, compile, expectValid } from './_harness.js';

afterAll(cleanup);
const FIXTURES = join(REPO, 'test', 'argo', 'fixtures');
type Obj = Record<string, any>;

/** Every pipeline under examples/: YAML files with a `dag:`, and the TS modules that are their twins. */
function examplePipelines(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(join(REPO, 'examples'))) {
    if (!/^\d\d-/.test(dir)) continue;
    for (const f of readdirSync(join(REPO, 'examples', dir)).sort()) {
      const file = join(REPO, 'examples', dir, f);
      if (f.endsWith('.yaml') && /^dag:/m.test(readFileSync(file, 'utf8'))) out.push(`examples/${dir}/${f}`);
      if (f.endsWith('.ts') && /\bpipeline\(/.test(readFileSync(file, 'utf8')) && /export default/.test(readFileSync(file, 'utf8'))) out.push(`examples/${dir}/${f}`);
    }
  }
  return out;
}

let shared: string | undefined;
/** A copy of examples/ where `runnable-ts` is installed (a link to this checkout), for the SDK examples' imports. */
const workdir = () => {
  if (!shared) {
    shared = makeWorkdir();
    mkdirSync(join(shared, 'node_modules'));
    symlinkSync(REPO, join(shared, 'node_modules', 'runnable-ts'), 'dir');
  }
  return shared;
};

/** Compiles in process (what `runnable execute` does) and returns the manifest object. */
async function compileHere(pipeline: string, config = argoConfig(), opts: { params?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<Obj> {
  const cwd = opts.cwd ?? workdir();
  writeFileSync(join(cwd, 'argo.yaml'), config);
  const result = await executePipeline({ pipeline, configFile: 'argo.yaml', parametersFile: opts.params, cwd, env: cleanEnv(opts.env) });
  expect(result.status).toBe('CREATED');
  return parse(readFileSync(join(cwd, result.handOff!.file), 'utf8')) as Obj;
}

const templates = (m: Obj): Obj[] => (m.kind === 'CronWorkflow' ? m.spec.workflowSpec : m.spec).templates;
const template = (m: Obj, name: string): Obj => templates(m).find((t) => t.name === name)!;
const task = (t: Obj, name: string): Obj => t.dag.tasks.find((x: Obj) => x.name === name)!;

describe('every example pipeline compiles to a manifest the strict schema accepts', () => {
  const pipelines = examplePipelines();
  test('there are examples of every kind', () => expect(pipelines.length).toBeGreaterThan(60));
  test.each(pipelines)('%s', async (pipeline) => {
    // TS modules through the CLI, which resolves their `import 'runnable-ts'`; YAML in process (faster)
    const m = pipeline.endsWith('.ts') ? (await compile(pipeline, { params: true, cwd: workdir() })).manifest : await compileHere(pipeline, argoConfig(), { params: INITIAL_PARAMETERS });
    expectValid(m);
    const names = templates(m).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9-]{0,62}$/);
  });
});

describe('shape', () => {
  test('one container per step running execute-single-node with the run id parameter; the first pod opens the run', async () => {
    const m = await compileHere('examples/02-sequential/traversal.yaml');
    // run_id, and the initial parameters (RUNNABLE_PRM_envvar of the examples' environment)
    expect(m.spec.arguments.parameters).toEqual([{ name: 'run_id' }, { name: 'envvar', value: 'from env' }]);
    const root = template(m, m.spec.entrypoint);
    expect(root.dag.tasks.map((t: Obj) => t.name)).toEqual(['open-run', 'hello-stub', 'hello-typescript', 'hello-shell', 'hello-async', 'success', 'fail']);
    expect(task(root, 'hello-stub').depends).toBe('open-run.Succeeded');
    expect(task(root, 'hello-typescript').depends).toBe('hello-stub.Succeeded');
    // where a failure goes by default: the graph's fail step
    expect(task(root, 'fail').depends).toBe('(hello-stub.Failed || hello-stub.Errored) || (hello-typescript.Failed || hello-typescript.Errored) || (hello-shell.Failed || hello-shell.Errored) || (hello-async.Failed || hello-async.Errored)');
    expect(template(m, 'runnable-open-run').container.command).toEqual(['runnable', 'open-run', '{{workflow.parameters.run_id}}', 'examples/02-sequential/traversal.yaml', '-c', '/tmp/runnable-pod/config.yaml']);
    expect(template(m, 'hello-shell').container.command).toEqual(['runnable', 'execute-single-node', '{{workflow.parameters.run_id}}', 'examples/02-sequential/traversal.yaml', 'hello shell', '--map-variable', '{{inputs.parameters.map_variable}}', '-c', '/tmp/runnable-pod/config.yaml']);
    expect(root.failFast).toBe(false);
  });

  test('on_failure is a depends on the step having failed', async () => {
    const m = await compileHere('examples/02-sequential/on_failure_succeed.yaml');
    const root = template(m, m.spec.entrypoint);
    // step_1 fails over to step_4 (its on_failure), which goes on to success
    expect(task(root, 'step-4').depends).toBe('(step-1.Failed || step-1.Errored)');
    expect(task(root, 'success').depends).toContain('step-4.Succeeded');
  });

  test('a map: fan-out pod, branches withParam from its output, fan-in pod after every branch ended', async () => {
    const m = await compileHere('examples/07-map/map.yaml', argoConfig(), { params: INITIAL_PARAMETERS });
    const map = template(m, 'map-state');
    expect(map.dag.tasks.map((t: Obj) => t.name)).toEqual(['fan-out', 'branch-map', 'fan-in']);
    expect(task(map, 'branch-map')).toMatchObject({ withParam: '{{tasks.fan-out.outputs.parameters.branch-0}}', depends: 'fan-out.Succeeded', arguments: { parameters: [{ name: 'map_variable', value: '{{item}}' }] } });
    expect(task(map, 'fan-in').depends).toBe('fan-out.Succeeded && (branch-map.Succeeded || branch-map.Failed || branch-map.Errored || branch-map.Skipped)');
    const fanOut = template(m, task(map, 'fan-out').template);
    expect(fanOut.container.command.slice(1, 6)).toEqual(['fan', '{{workflow.parameters.run_id}}', 'map_state', 'examples/07-map/map.yaml', 'in']);
    expect(fanOut.outputs.parameters).toEqual([{ name: 'branch-0', valueFrom: { path: '/tmp/runnable-pod/outputs/branch-0.json' } }]);
    expect(template(m, task(map, 'fan-in').template).container.command[5]).toBe('out');
    // the branch's steps take the iteration as --map-variable
    const branch = template(m, task(map, 'branch-map').template);
    expect(branch.inputs.parameters).toEqual([{ name: 'map_variable' }]);
  });

  test('a conditional: branches run when the fan-out says so; a parallel: sibling tasks', async () => {
    const m = await compileHere('examples/02-sequential/conditional.yaml');
    const cond = templates(m).find((t) => t.dag?.tasks?.[0]?.name === 'fan-out' && t.dag.tasks.some((x: Obj) => x.when))!;
    const whens = cond.dag.tasks.filter((x: Obj) => x.when).map((x: Obj) => x.when);
    expect(whens).toEqual(whens.map((_: string, i: number) => `{{tasks.fan-out.outputs.parameters.run-${i}}} == true`));
    const p = await compileHere('examples/06-parallel/parallel.yaml');
    const par = templates(p).find((t) => t.dag?.tasks?.[0]?.name === 'fan-out')!;
    expect(par.dag.tasks.filter((x: Obj) => x.when).length).toBe(2);
  });

  test('a loop: a recursive template whose fan-in says whether to go on', async () => {
    const m = await compileHere('examples/10-loop/simple_loop.yaml');
    const iteration = templates(m).find((t) => t.name.endsWith('-iteration'))!;
    expect(iteration.dag.tasks.map((t: Obj) => t.name)).toEqual(['body', 'fan-in', 'next']);
    expect(task(iteration, 'next')).toMatchObject({ template: iteration.name, withParam: '{{tasks.fan-in.outputs.parameters.branch-0}}', depends: 'fan-in.Succeeded' });
    expect(iteration.inputs.parameters).toEqual([{ name: 'map_variable' }, { name: 'iteration' }]);
  });

  test('every setting: pod settings, overrides, secrets, volumes, max_attempts as retryStrategy, exposed parameters', async () => {
    const cwd = makeWorkdir();
    copyFileSync(join(FIXTURES, 'settings-pipeline.yaml'), join(cwd, 'settings.yaml'));
    writeFileSync(join(cwd, 'params.yaml'), 'alpha: 1\nname: "3"\nwords: hello\nlist: [1, 2]\n');
    const m = await compileHere('settings.yaml', readFileSync(join(FIXTURES, 'every-setting.yaml'), 'utf8'), { cwd, params: 'params.yaml' });
    expectValid(m);
    expect(existsSync(join(cwd, 'out', 'wf.yaml'))).toBe(true);
    expect(m.metadata).toEqual({ generateName: 'every-setting-', namespace: 'pipelines', labels: { team: 'data' }, annotations: { owner: 'someone' } });
    expect(m.spec).toMatchObject({ serviceAccountName: 'runner', podGC: { strategy: 'OnPodCompletion' }, activeDeadlineSeconds: 86400, parallelism: 20, ttlStrategy: { secondsAfterCompletion: 3600 } });
    // scalar parameters as workflow arguments, typed so that RUNNABLE_PRM_ reads them back as they were
    expect(m.spec.arguments.parameters).toEqual([{ name: 'run_id' }, { name: 'alpha', value: '1' }, { name: 'name', value: '"3"' }, { name: 'words', value: 'hello' }, { name: 'envvar', value: 'from env' }]);
    expect(template(m, 'runnable-open-run').container.env).toEqual(expect.arrayContaining([{ name: 'RUNNABLE_PRM_alpha', value: '{{workflow.parameters.alpha}}' }]));
    expect(template(m, 'runnable-open-run').container.command).toContain('params.yaml');
    expect(m.spec.volumes).toEqual([{ name: 'runnable', persistentVolumeClaim: { claimName: 'shared' } }, { name: 'custom-volume-0', persistentVolumeClaim: { claimName: 'datasets', readOnly: true } }]);
    const train = template(m, 'train');
    expect(train.container.image).toBe('registry.example.com/project-gpu:1.0');
    expect(train.container.resources).toEqual({ limits: { memory: '16Gi' } });
    expect(train.container.volumeMounts).toEqual([{ name: 'runnable', mountPath: '/mnt/runnable' }, { name: 'custom-volume-0', mountPath: '/data', readOnly: true }]);
    expect(train.container.env).toEqual([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      // no driver hands the pod a TRACEPARENT: with telemetry on it derives the trace from the run id
      { name: 'RUNNABLE_TRACE_CONTEXT', value: 'run-id' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'pipeline-secrets', key: 'API_TOKEN' } } },
    ]);
    expect(train.retryStrategy).toEqual({ limit: 2, retryPolicy: 'OnError', backoff: { duration: '5s', factor: '1.5' } });
    expect(train.container.command.at(-1)).toBe('--one-attempt');
    const report = template(m, 'report');
    expect(report.container.image).toBe('registry.example.com/project:1.0');
    expect(report.container.resources).toEqual({ limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' }, requests: { cpu: '500m', memory: '512Mi' } });
    expect(report).toMatchObject({ nodeSelector: { pool: 'cpu' }, activeDeadlineSeconds: 3600, timeout: '2h', retryStrategy: { limit: 1, retryPolicy: 'OnError', backoff: { duration: '10', factor: 2, maxDuration: '60' } } });
    expect(report.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'pipelines', effect: 'NoSchedule' }]);
    // the pods' config: the store and catalog folders on the claim
    const podConfig = parse(train.inputs.artifacts[0].raw.data);
    expect(podConfig['run-log-store']).toEqual({ type: 'chunked-fs', config: { log_folder: '/mnt/runnable/run-log-store' } });
    expect(podConfig.catalog).toEqual({ type: 'file-system', config: { catalog_location: '/mnt/runnable/catalog' } });
  });

  test('names are Kubernetes names, unique, deterministic', () => {
    expect(k8sName('map_state.map_variable_placeholder.Inner Step')).toBe('map-state-inner-step');
    expect(k8sName('1st')).toBe('s-1st');
    const long = k8sName('a'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toBe(k8sName('a'.repeat(100)));
    expect(long).not.toBe(k8sName('a'.repeat(101)));
  });

  test('a 5-deep nesting of maps, parallels and loops compiles and validates', async () => {
    const cwd = makeWorkdir();
    const leaf = '{start_at: t, steps: {t: {type: task, command_type: shell, command: "true", next: success}}}';
    let branch = leaf;
    for (const kind of ['map', 'parallel', 'loop', 'conditional', 'map']) {
      const step =
        kind === 'map'
          ? `{type: map, iterate_on: items, iterate_as: i${branch.length}, branch: ${branch}, next: success}`
          : kind === 'loop'
            ? `{type: loop, max_iterations: 2, break_on: stop, index_as: n${branch.length}, branch: ${branch}, next: success}`
            : kind === 'parallel'
              ? `{type: parallel, branches: {a: ${branch}, b: ${branch}}, next: success}`
              : `{type: conditional, parameter: kind, branches: {x: ${branch}}, default: ${branch}, next: success}`;
      branch = `{start_at: s, steps: {s: ${step}}}`;
    }
    writeFileSync(join(cwd, 'deep.yaml'), `dag: ${branch}\n`);
    const m = await compileHere('deep.yaml', argoConfig(), { cwd });
    expectValid(m);
  });
});

describe('configuration', () => {
  test("runnable's argo-config.yaml (as written) with its traversal pipeline compiles and validates", async () => {
    const m = await compileHere('examples/02-sequential/traversal.yaml', readFileSync(join(FIXTURES, 'runnable-argo-config.yaml'), 'utf8'));
    expectValid(m);
    expect(m.metadata).toEqual({ generateName: 'argo-', namespace: 'enterprise-mlops' });
    expect(m.spec.serviceAccountName).toBe('default-editor');
    expect(template(m, 'hello-shell').container).toMatchObject({ image: '$docker_image', resources: { limits: { cpu: '2', memory: '4Gi' }, requests: { cpu: '2', memory: '4Gi' } } });
  });

  test("runnable's argo-cron-config.yaml gives a CronWorkflow whose runs are named by Argo", async () => {
    const m = await compileHere('examples/02-sequential/traversal.yaml', readFileSync(join(FIXTURES, 'runnable-argo-cron-config.yaml'), 'utf8'));
    expect(m.kind).toBe('CronWorkflow');
    expectValid(m);
    expect(m.metadata).toEqual({ name: 'argo-cron', namespace: 'enterprise-mlops' });
    expect(m.spec).toMatchObject({ schedules: ['0 0 * * *'], timezone: 'UTC' });
    // no run_id argument: each scheduled run is named by Argo, and that name is its run id
    expect(m.spec.workflowSpec.arguments.parameters.map((p: Obj) => p.name)).not.toContain('run_id');
    expect(template(m, 'hello-shell').container.command[2]).toBe('{{workflow.name}}');
  });

  test.each([
    ['an unknown key', 'defaults: {image: x}\n    imagePullSecret: y\n', "unknown field(s) 'imagePullSecret'"],
    ['an unknown key in defaults', 'defaults: {image: x, cpu: 2}\n', "pipeline-executor.config.defaults"],
    ['no image', 'defaults: {resources: {}}\n', 'image'],
    ['a bad toleration', 'defaults: {image: x, tolerations: [{key: a, colour: blue}]}\n', 'colour: unknown field'],
    ['an unknown workflow spec field', 'defaults: {image: x}\n    argoWorkflow: {spec: {serviceAccount: x}}\n', "unknown field 'serviceAccount'"],
    ['a spec field runnable sets', 'defaults: {image: x}\n    argoWorkflow: {spec: {entrypoint: main}}\n', "'entrypoint' is set by runnable"],
    ['a bad podGC', 'defaults: {image: x}\n    argoWorkflow: {spec: {podGC: {strategy: 3}}}\n', 'podGC'],
  ])('%s is exit 2 naming it, nothing written', async (_, body, message) => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'bad.yaml'), `pipeline-executor:\n  type: argo\n  config:\n    pvc_for_runnable: p\n    ${body}run-log-store: {type: chunked-fs}\n`);
    const r = await cli(['execute', 'examples/02-sequential/traversal.yaml', '-c', 'bad.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(cwd, 'argo-pipeline.yaml'))).toBe(false);
    // `runnable validate -c` reports it the same way
    const v = await cli(['validate', 'examples/02-sequential/traversal.yaml', '-c', 'bad.yaml'], cwd);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(message);
  });

  test('what needs a shared disk needs pvc_for_runnable; a buffered store cannot be used; secrets need secret_from_k8s', async () => {
    const cwd = makeWorkdir();
    const cases: [string, string, string][] = [
      ['pipeline-executor: {type: argo, config: {defaults: {image: x}}}\nrun-log-store: {type: chunked-fs}\n', 'examples/02-sequential/traversal.yaml', 'pvc_for_runnable'],
      ['pipeline-executor: {type: argo, config: {pvc_for_runnable: p, defaults: {image: x}}}\nrun-log-store: {type: buffered}\n', 'examples/02-sequential/traversal.yaml', "'buffered'"],
      ['pipeline-executor: {type: argo, config: {pvc_for_runnable: p, defaults: {image: x}, overrides: {big: {}}}}\nrun-log-store: {type: chunked-fs}\n', 'settings.yaml', 'secret_from_k8s'],
    ];
    copyFileSync(join(FIXTURES, 'settings-pipeline.yaml'), join(cwd, 'settings.yaml'));
    for (const [config, pipeline, message] of cases) {
      writeFileSync(join(cwd, 'c.yaml'), config);
      const r = await cli(['execute', pipeline, '-c', 'c.yaml'], cwd);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  test('runnable validate -c checks the config and the manifest it would write', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'argo.yaml'), argoConfig());
    // with the parameters the run needs (the map iterates on `chunks`): validate follows them to each step
    const r = await cli(['validate', 'examples/07-map/map.yaml', '-c', 'argo.yaml', '-p', 'examples/common/initial_parameters.yaml'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('argo manifest valid');
    expect(existsSync(join(cwd, 'argo-pipeline.yaml'))).toBe(false);
  });
});

describe('execute writes the manifest and runs nothing', () => {
  test('exit 0, where it wrote it and how to submit it, no run log', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'argo.yaml'), argoConfig());
    const r = await cli(['execute', 'examples/02-sequential/traversal.yaml', '-c', 'argo.yaml', '--run-id', 'my-run', '--json'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('wrote the Argo Workflow for examples/02-sequential/traversal.yaml to argo-pipeline.yaml (nothing ran)');
    expect(r.stderr).toContain('argo submit argo-pipeline.yaml -p run_id=my-run');
    expect(JSON.parse(r.stdout)).toEqual({ run_id: 'my-run', status: 'CREATED', run_log: null, manifest: 'argo-pipeline.yaml' });
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
    expect(argoProblem('Workflow', parse(readFileSync(join(cwd, 'argo-pipeline.yaml'), 'utf8')))).toBeUndefined();
  });
});

test("the SDK's execute() writes the manifest too, and returns a CREATED run log naming it", async () => {
  const dir = makeWorkdir();
  const out = join(dir, 'sdk-wf.yaml');
  writeFileSync(join(dir, 'argo.yaml'), argoConfig().replace('output_file: argo-pipeline.yaml', `output_file: ${out}`));
  const { default: p } = await import('./fixtures/sdk-pipeline.js');
  const log = await p.execute({ config: join(dir, 'argo.yaml'), cwd: REPO, env: cleanEnv() });
  expect(log.status).toBe('CREATED');
  expect(log.run_config.manifest).toBe(out);
  const m = parse(readFileSync(out, 'utf8')) as Obj;
  expectValid(m);
  expect(template(m, 'compute').container.command.slice(3, 5)).toEqual(['test/argo/fixtures/sdk-pipeline.ts', 'compute']);
});
