/**
 * Issue 13 items 8 and 11: with `env-secrets`, a secret reaches only the steps that declare it,
 * under the local, emulate, slurm (real jobs: a job's environment is what sbatch exported, the
 * spool's copy included) and local-container (real podman containers) executors, in shell, TS,
 * Python and notebook steps (shell and TS in the node-only container image); and no file the
 * run wrote (run log, catalog, step logs, executed notebook, objects) nor anything printed holds
 * the value, in any of the forms a step can print it: as is, JSON-escaped (json.dumps,
 * JSON.stringify) and as Python's repr.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { secretForms } from '../../src/secrets/scope.js';
import { IMAGE, ensureImage } from '../executors/_container.js';
import { cli, workdir } from './_cli.js';

/** Quote, backslash, apostrophe, tab and newline make every form differ from the others. */
const SECRET = 'tok"en\\with\'q\tz\nEND-7f3a';
const FORMS = secretForms(SECRET);

/** `python`: the step's machine has Python and Jupyter (not the node-only test image of local-container) */
const pipeline = (python: boolean) => `dag:
  start_at: declares
  steps:
    declares:
      type: task
      command_type: shell
      secrets: [API_TOKEN]
      command: |
        printf '%s\\n' "$API_TOKEN"
        ${python ? `python3 -c 'import json, os; t = os.environ["API_TOKEN"]; print(json.dumps(t)); print(repr(t)); print(json.dumps({"t": t}))'` : `node -e 'const t = process.env.API_TOKEN; console.log(JSON.stringify(t)); console.log(JSON.stringify({ t }))'`}
        printf 'err %s\\n' "$API_TOKEN" >&2
      next: ts_declares
    ts_declares:
      type: task
      secrets: [API_TOKEN]
      command: fns.ts:declares
      next: ${python ? 'nb_declares' : 'shell_other'}
${python ? `    nb_declares:
      type: task
      command: show.ipynb
      secrets: [API_TOKEN]
      next: shell_other
` : ''}    shell_other:
      type: task
      command_type: shell
      command: 'echo "shell sees [\${API_TOKEN:-unset}]"; env | grep -c API_TOKEN || true'
      next: ts_other
    ts_other:
      type: task
      command: fns.ts:other
      returns: [seen]
      next: ${python ? 'py_other' : 'success'}
${python ? `    py_other:
      type: task
      command: mod.other
      returns: [py_seen]
      next: success
` : ''}`;
const FNS = `import { execFileSync } from 'node:child_process';
export function declares() {
  const t = process.env.API_TOKEN!;
  console.log(JSON.stringify(t), JSON.stringify({ t }));
  console.error(t);
}
export function other() {
  const child = execFileSync('sh', ['-c', 'echo "[\${API_TOKEN:-unset}]"']).toString().trim();
  const seen = { env: process.env.API_TOKEN ?? 'unset', listed: Object.keys(process.env).includes('API_TOKEN'), has: 'API_TOKEN' in process.env, child };
  console.log('ts sees', JSON.stringify(seen));
  return seen;
}
`;
const MOD = `import os
def other():
    seen = os.environ.get("API_TOKEN", "unset")
    print("python sees", seen)
    return seen
`;
const NOTEBOOK = JSON.stringify({
  cells: [
    { cell_type: 'code', execution_count: null, id: 'a1', metadata: { tags: ['parameters'] }, outputs: [], source: ['x = 1'] },
    { cell_type: 'code', execution_count: null, id: 'a2', metadata: {}, outputs: [], source: ['import os, json\n', 't = os.environ["API_TOKEN"]\n', 'print(t)\n', 'print(json.dumps(t))\n', 't'] },
  ],
  metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
  nbformat: 4,
  nbformat_minor: 5,
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => path.join(dir, rel))
    .filter((p) => statSync(p).isFile());
}

const EXECUTORS: { executor: string; config: string; python: boolean }[] = [
  { executor: 'local', config: 'pipeline-executor: {type: local}\n', python: true },
  { executor: 'emulate', config: 'pipeline-executor: {type: emulate}\n', python: true },
  // every step a job of the real single-node cluster: sbatch must not carry the secret into its spool
  { executor: 'slurm', config: 'pipeline-executor: {type: slurm, config: {poll_interval: 0.25}}\n', python: true },
  // every step in a real podman container of the node-only test image (no Python there)
  { executor: 'local-container', config: `pipeline-executor: {type: local-container, config: {docker_image: ${IMAGE}}}\n`, python: false },
];

describe.concurrent('a secret reaches only its steps and leaks nowhere', () => {
  it.for(EXECUTORS)('$executor executor', async ({ executor, config, python }, { expect }) => {
    if (executor === 'local-container') await ensureImage();
    const dir = workdir({
      'p.yaml': pipeline(python),
      'fns.ts': FNS,
      'mod.py': MOD,
      'show.ipynb': NOTEBOOK,
      'c.yaml': config,
    });
    const inputs = new Set(['p.yaml', 'fns.ts', 'mod.py', 'show.ipynb', 'c.yaml']);
    const r = await cli(['execute', 'p.yaml', '-c', 'c.yaml', '--run-id', `leak-${executor}`], dir, { API_TOKEN: SECRET }, 240_000);
    expect(r.code, r.stderr).toBe(0);

    // the steps that did not declare it saw nothing
    const log = JSON.parse(readFileSync(path.join(dir, '.run_log_store', `leak-${executor}.json`), 'utf8'));
    expect(r.stdout).toContain('shell sees [unset]');
    expect(r.stdout).toMatch(/^0$/m); // `env | grep -c API_TOKEN`
    expect(log.parameters.seen.value).toEqual({ env: 'unset', listed: false, has: false, child: '[unset]' });
    if (python) expect(log.parameters.py_seen.value).toBe('unset');
    // the steps that declared it saw it (their output is masked)
    expect(r.stdout).toContain('***');

    // nothing printed and no file the run wrote holds the secret in any form
    const written = filesUnder(dir).filter((p) => !inputs.has(path.relative(dir, p)) && !p.includes('__pycache__'));
    if (python) expect(written.some((p) => p.endsWith('.ipynb'))).toBe(true); // the executed notebook is among them
    expect(written.length).toBeGreaterThan(python ? 5 : 3);
    for (const form of FORMS) {
      expect(r.stdout.includes(form), `stdout holds ${JSON.stringify(form)}`).toBe(false);
      expect(r.stderr.includes(form), `stderr holds ${JSON.stringify(form)}`).toBe(false);
      for (const file of written) expect(readFileSync(file, 'utf8').includes(form), `${file} holds ${JSON.stringify(form)}`).toBe(false);
    }
  });
});
