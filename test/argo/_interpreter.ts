/**
 * A stand-in for the Argo controller, for tests (there is no Kubernetes cluster here): it runs
 * a Workflow (or a CronWorkflow's workflowSpec) the way Argo's DAG semantics say, each container
 * a real process. What it implements, strictly (anything else in a manifest is an error):
 * DAG templates and recursion, `depends` expressions (a task waits for every task it names to
 * end, then runs if the expression holds, else is Omitted), `when` (false: Skipped),
 * `withParam`/`withItems` (one instance per item; none: Skipped), input parameters (declared
 * ones must be supplied), output parameters read from `valueFrom.path`, raw input artifacts,
 * `retryStrategy.limit` and `retryPolicy`, template `parallelism`, `failFast`, workflow
 * arguments, PersistentVolumeClaim volumes and `secretKeyRef` env. A DAG fails when a task
 * failed that no other task's `depends` handles (`X.Failed`/`X.Errored`).
 *
 * Containers run locally as processes of the built CLI in the project folder, their volumes and
 * /tmp mapped to folders of the test (paths in arguments, env values and raw artifacts are
 * rewritten), or, for the templates `podman.when` picks, in podman with the locally built image
 * and the volumes mounted at their real paths. Not modelled: backoff delays, pod scheduling,
 * resources, timeouts, memoization, exit handlers.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI, REPO } from '../examples/_run.js';
import { dependsOn, evalDepends, evalWhen, type TaskResult } from './_expr.js';

type Obj = Record<string, any>;
export type Phase = 'Succeeded' | 'Failed' | 'Error' | 'Skipped' | 'Omitted';

export interface PodRecord {
  template: string;
  args: string[];
  phase: Phase;
  exitCode: number | null;
  stderr: string;
  inPodman: boolean;
}

export interface InterpreterOptions {
  /** the project folder: the image's working directory */
  cwd: string;
  /** PersistentVolumeClaims: claim name → local folder */
  claims: Record<string, string>;
  /** `argo submit -p name=value` */
  arguments?: Record<string, string>;
  /** Kubernetes secrets: name → key → value */
  secrets?: Record<string, Record<string, string>>;
  /** the image's environment */
  env?: NodeJS.ProcessEnv;
  workflowName?: string;
  /** pods running at once (the cluster's capacity) */
  maxPods?: number;
  /** templates whose pods run in podman, with this image */
  podman?: { image: string; when: (template: string) => boolean };
  /** aborting kills every running pod (SIGKILL) and fails the workflow, as deleting it would */
  signal?: AbortSignal;
  /** called when a pod starts */
  onPod?: (template: string, args: string[]) => void;
}

export interface WorkflowRun {
  phase: 'Succeeded' | 'Failed' | 'Error';
  pods: PodRecord[];
}

interface Ended {
  phase: Phase;
  outputs: Record<string, string>;
}

export async function runWorkflow(manifest: Obj, opts: InterpreterOptions): Promise<WorkflowRun> {
  const spec: Obj = manifest.kind === 'CronWorkflow' ? manifest.spec.workflowSpec : manifest.spec;
  if (manifest.kind !== 'Workflow' && manifest.kind !== 'CronWorkflow') throw new Error(`not a Workflow: ${manifest.kind}`);
  const run = new Interpreter(spec, opts);
  const ended = await run.template(spec.entrypoint, {}, 0);
  return { phase: ended.phase === 'Succeeded' ? 'Succeeded' : ended.phase === 'Error' ? 'Error' : 'Failed', pods: run.pods };
}

class Interpreter {
  readonly pods: PodRecord[] = [];
  private readonly templates = new Map<string, Obj>();
  private readonly globals: Record<string, string> = {};
  private readonly running = new Set<{ kill(): void }>();
  private readonly slots: Semaphore;

  constructor(
    private readonly spec: Obj,
    private readonly opts: InterpreterOptions,
  ) {
    for (const t of spec.templates) {
      if (this.templates.has(t.name)) throw new Error(`template ${t.name} is defined twice`);
      this.templates.set(t.name, t);
    }
    for (const p of spec.arguments?.parameters ?? []) {
      const value = opts.arguments?.[p.name] ?? p.value;
      if (value === undefined) throw new Error(`workflow argument '${p.name}' was not supplied (argo submit -p ${p.name}=...)`);
      this.globals[`workflow.parameters.${p.name}`] = String(value);
    }
    this.globals['workflow.name'] = opts.workflowName ?? 'wf-test';
    this.slots = new Semaphore(opts.maxPods ?? 4);
    opts.signal?.addEventListener('abort', () => this.running.forEach((p) => p.kill()), { once: true });
  }

  async template(name: string, args: Record<string, string>, depth: number): Promise<Ended> {
    if (depth > 200) throw new Error(`template recursion deeper than 200 at ${name}`);
    const t = this.templates.get(name);
    if (!t) throw new Error(`unknown template '${name}'`);
    const inputs: Record<string, string> = {};
    for (const p of t.inputs?.parameters ?? []) {
      const v = args[p.name] ?? p.value ?? p.default;
      if (v === undefined) throw new Error(`template ${name}: input parameter '${p.name}' not supplied`);
      inputs[`inputs.parameters.${p.name}`] = String(v);
    }
    for (const a of Object.keys(args)) if (!(t.inputs?.parameters ?? []).some((p: Obj) => p.name === a)) throw new Error(`template ${name} takes no parameter '${a}'`);
    if (t.dag) return this.dag(t, inputs, depth);
    if (t.container) return this.pod(t, inputs);
    throw new Error(`template ${name}: only dag and container templates are modelled`);
  }

  private async dag(t: Obj, inputs: Record<string, string>, depth: number): Promise<Ended> {
    // Argo resolves a template in two stages: its inputs and the globals into the whole template
    // first (`{{tasks.*}}` and `{{item}}` left for later), then each task's fields as it starts. A
    // value put in by the first stage is scanned again by the second, as in Argo.
    const tasks = substituteAll(t.dag.tasks, { ...this.globals, ...inputs }, LATER) as Obj[];
    const results = new Map<string, Phase>();
    const outputs = new Map<string, Record<string, string>>();
    const started = new Set<string>();
    const failFast = t.failFast !== false;
    const limit = t.parallelism ? new Semaphore(t.parallelism) : undefined;
    const handled = new Set<string>();
    for (const task of tasks) for (const d of dependsOn(task.depends ?? '')) if (new RegExp(`(^|[^A-Za-z0-9_-])${escape(d)}\\.(Failed|Errored|AllFailed)`).test(task.depends)) handled.add(d);
    const inFlight = new Map<string, Promise<void>>();
    let stopped = false;
    for (;;) {
      if (this.opts.signal?.aborted) stopped = true;
      const failed = [...results.values()].some((p) => p === 'Failed' || p === 'Error');
      if (!(failFast && failed) && !stopped) {
        for (const task of tasks) {
          if (started.has(task.name)) continue;
          const deps = dependsOn(task.depends ?? '');
          for (const d of deps) if (!tasks.some((x) => x.name === d)) throw new Error(`${t.name}: task ${task.name} depends on unknown task ${d}`);
          if (!deps.every((d) => results.has(d))) continue;
          started.add(task.name);
          const scope = { ...this.globals, ...inputs, ...taskOutputs(outputs) };
          if (task.depends && !evalDepends(task.depends, (d, what) => matches(results.get(d)!, what))) {
            results.set(task.name, 'Omitted');
            continue;
          }
          inFlight.set(task.name, this.task(task, scope, depth, limit).then((e) => {
            results.set(task.name, e.phase);
            outputs.set(task.name, e.outputs);
            inFlight.delete(task.name);
          }));
        }
      }
      if (!inFlight.size) break;
      await Promise.race(inFlight.values());
    }
    const unhandled = [...results.entries()].some(([n, p]) => (p === 'Failed' || p === 'Error') && !handled.has(n));
    const notRun = tasks.some((x) => !results.has(x.name));
    return { phase: unhandled || notRun ? 'Failed' : 'Succeeded', outputs: {} };
  }

  /** One DAG task: `when`, then its instances (`withParam`/`withItems`), each a template. */
  private async task(task: Obj, scope: Record<string, string>, depth: number, limit?: Semaphore): Promise<Ended> {
    if (task.when !== undefined && !evalWhen(substitute(task.when, scope))) return { phase: 'Skipped', outputs: {} };
    let items: unknown[] | undefined;
    if (task.withParam !== undefined) {
      const text = substitute(task.withParam, scope);
      items = JSON.parse(text) as unknown[];
      if (!Array.isArray(items)) throw new Error(`withParam of ${task.name} is not a JSON list: ${text}`);
    } else if (task.withItems !== undefined) items = task.withItems;
    const runOne = async (item?: unknown): Promise<Ended> => {
      const s = item === undefined ? scope : { ...scope, ...itemScope(item) };
      const args: Record<string, string> = {};
      for (const p of task.arguments?.parameters ?? []) args[p.name] = substitute(String(p.value), s);
      await limit?.take();
      try {
        return await this.template(task.template, args, depth + 1);
      } finally {
        limit?.give();
      }
    };
    if (!items) return runOne();
    if (!items.length) return { phase: 'Skipped', outputs: {} };
    const ended = await Promise.all(items.map((item) => runOne(item)));
    return { phase: ended.some((e) => e.phase === 'Failed' || e.phase === 'Error') ? 'Failed' : 'Succeeded', outputs: {} };
  }

  /** A container template, run again while it fails as its retryStrategy allows. */
  private async pod(t: Obj, inputs: Record<string, string>): Promise<Ended> {
    const scope = { ...this.globals, ...inputs };
    const limit = Number(t.retryStrategy?.limit ?? 0);
    const policy = t.retryStrategy?.retryPolicy ?? 'OnFailure';
    let last: Ended = { phase: 'Error', outputs: {} };
    for (let attempt = 0; attempt <= limit; attempt++) {
      if (this.opts.signal?.aborted) return { phase: 'Failed', outputs: {} };
      last = await this.container(t, scope);
      if (last.phase === 'Succeeded') break;
      if (policy === 'OnError' && last.phase !== 'Error') break;
    }
    return last;
  }

  private async container(t: Obj, scope: Record<string, string>): Promise<Ended> {
    const c = substituteAll(t.container, scope) as Obj;
    const podDir = mkdtempSync(join(tmpdir(), 'argo-pod-'));
    const inPodman = !!this.opts.podman?.when(t.name);
    const mounts: [string, string][] = [['/tmp', join(podDir, 'tmp')]];
    mkdirSync(join(podDir, 'tmp'));
    for (const m of c.volumeMounts ?? []) {
      const volume = (this.spec.volumes ?? []).find((v: Obj) => v.name === m.name);
      if (!volume) throw new Error(`${t.name}: volumeMount ${m.name} has no volume`);
      const claim = volume.persistentVolumeClaim?.claimName;
      const local = claim ? this.opts.claims[claim] : join(podDir, 'volumes', m.name);
      if (!local) throw new Error(`${t.name}: PersistentVolumeClaim '${claim}' is not bound`);
      mkdirSync(local, { recursive: true });
      mounts.push([m.mountPath, local]);
    }
    mounts.sort((a, b) => b[0].length - a[0].length);
    const toLocal = (text: string) => (inPodman ? text : mapPaths(text, mounts));
    const local = (p: string) => mapPaths(p, mounts);
    for (const a of substituteAll(t.inputs?.artifacts ?? [], scope) as Obj[]) {
      if (!a.raw) throw new Error(`${t.name}: only raw input artifacts are modelled`);
      mkdirSync(dirname(local(a.path)), { recursive: true });
      writeFileSync(local(a.path), toLocal(a.raw.data));
    }
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = toLocal(e.value);
      else {
        const ref = e.valueFrom?.secretKeyRef;
        const v = ref && this.opts.secrets?.[ref.name]?.[ref.key];
        if (v === undefined) return this.record(t.name, c.command, { phase: 'Error', exitCode: null, stderr: `secret ${ref?.name}/${ref?.key} not found` }, inPodman);
        env[e.name] = v;
      }
    }
    const [program, ...rest] = c.command as string[];
    if (program !== 'runnable') throw new Error(`${t.name}: the stand-in runs the runnable command only, got ${program}`);
    const args = rest.map(toLocal);
    this.opts.onPod?.(t.name, args);
    await this.slots.take();
    let end: { exitCode: number | null; stderr: string };
    try {
      end = inPodman ? await this.spawn('podman', podmanArgs(this.opts, c, env, mounts, rest), {}) : await this.spawn(process.execPath, [CLI, ...args], env);
    } finally {
      this.slots.give();
    }
    const phase: Phase = end.exitCode === 0 ? 'Succeeded' : 'Failed';
    const outputs: Record<string, string> = {};
    if (phase === 'Succeeded') {
      for (const o of t.outputs?.parameters ?? []) {
        try {
          outputs[o.name] = readFileSync(local(o.valueFrom.path), 'utf8');
        } catch {
          return this.record(t.name, args, { phase: 'Error', exitCode: end.exitCode, stderr: `output parameter ${o.name}: ${o.valueFrom.path} not written` }, inPodman);
        }
      }
    }
    return this.record(t.name, args, { phase, ...end }, inPodman, outputs);
  }

  private record(template: string, args: string[], end: { phase: Phase; exitCode: number | null; stderr: string }, inPodman: boolean, outputs: Record<string, string> = {}): Ended {
    this.pods.push({ template, args, inPodman, ...end });
    return { phase: end.phase, outputs };
  }

  private spawn(file: string, args: string[], env: Record<string, string>): Promise<{ exitCode: number | null; stderr: string }> {
    return new Promise((resolve) => {
      if (this.opts.signal?.aborted) return resolve({ exitCode: null, stderr: 'workflow deleted' });
      const child = spawn(file, args, { cwd: this.opts.cwd, env: { ...(this.opts.env ?? process.env), ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
      const handle = { kill: () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } } };
      this.running.add(handle);
      child.on('error', (err) => (stderr += err.message));
      child.on('close', (code) => {
        this.running.delete(handle);
        resolve({ exitCode: code, stderr });
      });
    });
  }
}

function podmanArgs(opts: InterpreterOptions, c: Obj, env: Record<string, string>, mounts: [string, string][], args: string[]): string[] {
  const volumes = [`${opts.cwd}:${opts.cwd}`, `${REPO}:${REPO}:ro`, ...mounts.map(([inPod, local]) => `${local}:${inPod}`)];
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const imageEnv = Object.entries(opts.env ?? {}).filter(([k]) => k.startsWith('RUNNABLE_') || k === 'FIX_RANDOM_TOSS').flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // the manifest's image is the user's; the stand-in runs the locally built one with this checkout mounted
  void c.image;
  return ['run', '--rm', '--network=host', '-w', opts.cwd, ...volumes.flatMap((v) => ['-v', v]), ...imageEnv, ...envArgs, opts.podman!.image, 'node', CLI, ...args];
}

function matches(phase: Phase, what: TaskResult): boolean {
  switch (what) {
    case 'Succeeded':
    case 'AnySucceeded':
      return phase === 'Succeeded';
    case 'Failed':
    case 'AllFailed':
      return phase === 'Failed';
    case 'Errored':
      return phase === 'Error';
    default:
      return phase === what;
  }
}

function taskOutputs(outputs: Map<string, Record<string, string>>): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const [task, params] of outputs) for (const [k, v] of Object.entries(params)) scope[`tasks.${task}.outputs.parameters.${k}`] = v;
  return scope;
}

function itemScope(item: unknown): Record<string, string> {
  const scope: Record<string, string> = { item: typeof item === 'string' ? item : JSON.stringify(item) };
  if (item && typeof item === 'object' && !Array.isArray(item)) for (const [k, v] of Object.entries(item)) scope[`item.${k}`] = typeof v === 'string' ? v : JSON.stringify(v);
  return scope;
}

/** references a DAG template's first stage leaves to each task's own (see `dag`) */
const LATER = (name: string): boolean => name === 'item' || name.startsWith('item.') || name.startsWith('tasks.');

/**
 * `{{name}}` replaced from `scope`; an unresolved reference is an error, as Argo rejects it,
 * unless `later` says a later stage resolves it (then it is left as it is).
 */
function substitute(text: string, scope: Record<string, string>, later?: (name: string) => boolean): string {
  return text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (whole, name: string) => {
    const v = scope[name];
    if (v === undefined && later?.(name)) return whole;
    if (v === undefined) throw new Error(`unresolved {{${name}}} in '${text}'`);
    return v;
  });
}

function substituteAll(value: unknown, scope: Record<string, string>, later?: (name: string) => boolean): unknown {
  if (typeof value === 'string') return substitute(value, scope, later);
  if (Array.isArray(value)) return value.map((v) => substituteAll(v, scope, later));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteAll(v, scope, later)]));
  return value;
}

/** Paths inside the pod (mount points, /tmp) as the local folders standing in for them, in one pass. */
function mapPaths(text: string, mounts: [string, string][]): string {
  const re = new RegExp(`(?<![\\w./-])(${mounts.map(([p]) => escape(p)).join('|')})(?=/|$|[^\\w.-])`, 'g');
  return text.replace(re, (m) => mounts.find(([p]) => p === m)![1]);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
