/**
 * The container engine for `local-container`: which one (podman, or docker when its engine
 * answers), what an image is (id and digest, for code identity) and the `run` command line of a
 * step. Everything is spawned with argument arrays: no user value is ever put in a shell string.
 * (Nothing here imports the executors at run time: the job executor loads this first.)
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import * as z from 'zod';
import { RunnableError } from '../errors.js';
import type { CodeIdentity } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import type { StepProcessResult } from '../engine/launcher.js';
import { PACKAGE_ROOT } from '../util/package-root.js';

export type EngineName = 'podman' | 'docker';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name is letters, digits and _');
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** The settings of a container, in the config and in each of its `overrides`. */
export const containerSettings = {
  /** the image the steps run in (`image` is accepted too) */
  docker_image: z.string().min(1).optional(),
  image: z.string().min(1).optional(),
  environment: z.record(envName, envValue).optional(),
  /** more `podman run` / `docker run` options, one per item: `--memory=4g`, `--network=host` */
  run_options: z.array(z.string().regex(/^-/, 'a run option starts with -')).optional(),
  auto_remove_container: z.boolean().optional(),
  /**
   * `--network`: `host` by default, as a step has under `local` (services on localhost reachable,
   * and no per-container network set-up, about a second per step); `bridge`, `none`, a network name
   */
  network: z.string().min(1).optional(),
};

export const engineSetting = z.enum(['auto', 'podman', 'docker']).default('auto');

/** The image is required, once: `docker_image` (runnable's name) or `image`. */
export function requireImage<T extends z.ZodType<{ docker_image?: string; image?: string }>>(schema: T, what: string) {
  return schema
    .refine((c) => !(c.docker_image && c.image && c.docker_image !== c.image), { message: "give the image once, as 'docker_image' or 'image'", path: ['image'] })
    .refine((c) => c.docker_image ?? c.image, { message: `the image to run ${what} in is required: 'docker_image' (or 'image')`, path: ['docker_image'] });
}

const PROBE_TIMEOUT_MS = 15_000;

function run(file: string, args: string[], timeout = PROBE_TIMEOUT_MS): Promise<{ ok: boolean; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((done) => {
    execFile(file, args, { timeout, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      done({ ok: !error, stdout: String(stdout), stderr: String(stderr), missing: code === 'ENOENT' });
    });
  });
}

/**
 * An error (E_CONFIG, exit 2) for each image that the engine neither has nor can pull, saying
 * why in one line; `users` maps each image to the step that names it (undefined: a job's image).
 * Pulled here, before the run, what `run` would pull at the first step anyway, so that a wrong
 * image name is exit 2 up front instead of a failed step.
 */
export async function imageProblems(preference: 'auto' | EngineName, users: ReadonlyMap<string, string | undefined>, where: { file?: string; field: string }): Promise<RunnableError[]> {
  const engine = await detectEngine(preference);
  const problems = await Promise.all(
    [...users].map(async ([ref, step]) => {
      if (await inspectImage(engine, ref)) return undefined;
      const pulled = await run(engine, ['pull', '--quiet', ref], PULL_TIMEOUT_MS);
      if (pulled.ok) return undefined;
      const why = pulled.stderr.trim().split('\n').filter(Boolean).at(-1) ?? (pulled.missing ? `${engine} is not installed` : 'the pull failed');
      const user = step === undefined ? '' : ` (step '${step}')`;
      return new RunnableError('E_CONFIG', `image '${ref}'${user} is not among ${engine}'s images and could not be pulled: ${why.replace(/^(Error|error):\s*/, '')}`, where);
    }),
  );
  return problems.filter((p) => p !== undefined);
}

/** an image pull may take a while (a large image, a slow registry) */
const PULL_TIMEOUT_MS = 15 * 60_000;

const detected = new Map<string, Promise<EngineName>>();

/**
 * `auto`: docker when a docker engine answers (a docker client alone is not enough), else podman.
 * A named engine must be installed. Found once per process.
 */
export function detectEngine(preference: 'auto' | EngineName): Promise<EngineName> {
  let found = detected.get(preference);
  if (!found) {
    found = probe(preference);
    detected.set(preference, found);
    found.catch(() => detected.delete(preference));
  }
  return found;
}

async function probe(preference: 'auto' | EngineName): Promise<EngineName> {
  if (preference === 'auto') {
    if ((await run('docker', ['version', '--format', '{{.Server.Version}}'])).ok) return 'docker';
    if (!(await run('podman', ['--version'])).missing) return 'podman';
    throw new RunnableError('E_CONFIG', 'the local-container executor needs podman or a running docker engine; neither was found', {
      field: 'pipeline-executor.type',
    });
  }
  const r = await run(preference, ['--version']);
  if (r.missing) throw new RunnableError('E_CONFIG', `container engine '${preference}' is not installed`, { field: 'pipeline-executor.config.engine' });
  return preference;
}

export interface ImageInfo {
  /** what the config names: `localhost/runnable-ts-node:latest` */
  ref: string;
  /** the image id (`sha256:...`): containers run it, so the identity recorded is what ran */
  id: string;
  /** the manifest digest when the engine knows one, else the id */
  digest: string;
}

/** The image as the engine has it locally, or undefined when it has none by that name. */
export async function inspectImage(engine: EngineName, ref: string): Promise<ImageInfo | undefined> {
  const r = await run(engine, ['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', ref]);
  if (!r.ok) return undefined;
  const [rawId = '', digest = ''] = r.stdout.trim().split(/\s+/);
  if (!rawId) return undefined;
  const id = rawId.startsWith('sha256:') ? rawId : `sha256:${rawId}`;
  return { ref, id, digest: /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : id };
}

/** The code identity of a step run in `image` (SPEC §5; runnable's `code_identifier_type: docker`). */
export function imageIdentity(engine: EngineName, image: ImageInfo | undefined, ref: string): CodeIdentity {
  return {
    code_identifier: image?.digest ?? ref,
    code_identifier_type: 'docker',
    code_identifier_dependable: !!image,
    code_identifier_url: ref,
    code_identifier_message: image ? `${engine} image ${ref} (id ${image.id.slice(7, 19)})` : `${engine} image ${ref}: its digest could not be read`,
  };
}

export interface Mount {
  host: string;
  readOnly: boolean;
}

/**
 * Bind mounts at the same path inside as outside, without redundant ones: a path under another
 * mount with the same access is left out; parents come before children.
 */
export function planMounts(mounts: Mount[]): Mount[] {
  const sorted = mounts.map((m) => ({ host: resolve(m.host), readOnly: m.readOnly })).sort((a, b) => a.host.length - b.host.length || Number(a.readOnly) - Number(b.readOnly));
  const out: Mount[] = [];
  for (const m of sorted) {
    const parent = [...out].reverse().find((p) => isWithin(m.host, p.host));
    if (parent && (parent.readOnly === m.readOnly || !parent.readOnly)) continue;
    out.push(m);
  }
  return out;
}

export function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/** A container name: readable (run id, step), valid for the engine, unique. */
export function containerName(runId: string, internalName: string): string {
  const step = internalName
    .replace(/[^a-zA-Z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-zA-Z0-9]+|-+$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(internalName).digest('hex').slice(0, 6);
  return `runnable-${runId.slice(0, 60)}-${step || 'step'}-${hash}-${randomBytes(3).toString('hex')}`;
}

export interface RunSpec {
  image: string;
  name: string;
  cwd: string;
  mounts: Mount[];
  /** set to these values */
  env: Record<string, string>;
  /** passed through from this process's environment by name (values never on a command line) */
  passEnv: string[];
  labels: Record<string, string>;
  remove: boolean;
  /** `--user UID:GID` (docker as a non-root user: files in the work tree stay the user's) */
  user?: string;
  network: string;
  /** more `run` options from the config, as given */
  options: string[];
  /** the command inside the container */
  command: string[];
}

/** `<engine> run ...` arguments: attached (output streamed), exit status of the command. */
export function runArgs(spec: RunSpec): string[] {
  const args = ['run', '--name', spec.name];
  if (spec.remove) args.push('--rm');
  for (const [k, v] of Object.entries(spec.labels)) args.push('--label', `${k}=${v}`);
  for (const m of planMounts(spec.mounts)) args.push('--volume', `${m.host}:${m.host}${m.readOnly ? ':ro' : ''}`);
  args.push('--workdir', spec.cwd, '--network', spec.network);
  for (const name of spec.passEnv) args.push('--env', name);
  for (const [k, v] of Object.entries(spec.env)) args.push('--env', `${k}=${v}`);
  if (spec.user) args.push('--user', spec.user);
  args.push(...spec.options, spec.image, ...spec.command);
  return args;
}

/**
 * What a container of the run mounts at the same paths: the working directory, the installation,
 * and the run-log folder, catalog, config and pipeline/job file when they are outside it.
 */
export async function runMounts(rc: RunContext, sourceFile: string): Promise<Mount[]> {
  const mounts: Mount[] = [
    { host: rc.cwd, readOnly: false },
    // the runnable-ts installation the containers run (bin/runnable.js, dist/, node_modules/)
    { host: PACKAGE_ROOT, readOnly: true },
  ];
  const elsewhere = (p: string) => (isAbsolute(p) && !isWithin(p, rc.cwd) ? p : undefined);
  // stores name a run's folder/file: share their parent, created now so that it can be mounted
  for (const location of [rc.log.store.location(rc.runId), rc.catalog.location(rc.runId)]) {
    const folder = elsewhere(dirname(location));
    if (!folder) continue;
    await mkdir(folder, { recursive: true });
    mounts.push({ host: folder, readOnly: false });
  }
  for (const file of [rc.configFile, sourceFile]) {
    const outside = file ? elsewhere(resolve(rc.cwd, file)) : undefined;
    if (outside) mounts.push({ host: dirname(outside), readOnly: true });
  }
  return mounts;
}

/**
 * `RUNNABLE_*` of this process, a task's secrets, the variables the run's config file reads
 * (`${VAR}`: an S3 store's endpoint and credentials) and the AWS SDK's own settings (`AWS_*`: its
 * credential chain), by name: the engine copies their values, which never appear on a command line.
 */
export function passedEnv(secrets: string[], configNames: string[] = []): string[] {
  const names = new Set(Object.keys(process.env).filter((k) => k.startsWith('RUNNABLE_') || k.startsWith('AWS_')));
  for (const s of [...secrets, ...configNames]) if (process.env[s] !== undefined) names.add(s);
  return [...names];
}

/**
 * The engine reports a container killed by a signal as exit status 128+N, and its own failures
 * as 125 (126/127: the command could not run): said so in the step's failure message.
 */
export function containerEnd(r: StepProcessResult): StepProcessResult {
  if (r.exitCode === null || r.error) return r;
  if (r.exitCode > 128 && r.exitCode < 160) {
    const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 15: 'SIGTERM' };
    const n = r.exitCode - 128;
    return { ...r, signal: `${names[n] ?? `signal ${n}`} (its container exited with status ${r.exitCode})` };
  }
  if (r.exitCode >= 125 && r.exitCode <= 127) return { ...r, error: `the container engine could not run it (exit status ${r.exitCode})` };
  return r;
}
