/**
 * Commands in containers on this machine (`local-container`, pipeline and job executors): a task's
 * `execute-single-node` (or a job's task) is `node <program> <args>` inside `<engine> run`, a
 * child process of this one; steps that run no user code stay in the driver's process. The
 * container mounts what the run needs at the same paths (_container.ts `runMounts`), gets the
 * settings' environment, `RUNNABLE_*`, the step's secrets by name and the command's `env`.
 * Each image is resolved to its id once per run, so every step runs the same image, and the
 * image a step ran is recorded in its code identities.
 */
import type { PipelineNode } from '../graph/model.js';
import type { RunContext } from '../engine/context.js';
import { programFor, type Launcher, type RanAt, type StepCommand, type StepProcessResult } from '../engine/launcher.js';
import { runProcess } from './_child_process.js';
import { configVariables } from '../config/load-config.js';
import { containerEnd, containerName, imageIdentity, inspectImage, passedEnv, runArgs, runMounts, type EngineName, type ImageInfo, type Mount } from './_container.js';

/** What one task runs with: the config's settings with the task's override applied. */
export interface ContainerSettings {
  image: string;
  environment: Record<string, string>;
  runOptions: string[];
  remove: boolean;
  network: string;
}

/** The settings a config (or one of its `overrides`) gives, over `base`. */
export function containerSettingsOf(
  c: { docker_image?: string; image?: string; environment?: Record<string, string>; run_options?: string[]; auto_remove_container?: boolean; network?: string },
  base?: ContainerSettings,
): ContainerSettings {
  return {
    image: (c.docker_image ?? c.image ?? base?.image)!,
    environment: { ...base?.environment, ...c.environment },
    runOptions: [...(base?.runOptions ?? []), ...(c.run_options ?? [])],
    remove: c.auto_remove_container ?? base?.remove ?? true,
    network: c.network ?? base?.network ?? 'host',
  };
}

export class ContainerLauncher implements Launcher {
  /** images resolved to their id once per run: every step runs the same image */
  private readonly images = new Map<string, Promise<ImageInfo | undefined>>();
  private mounts: Promise<Mount[]> | undefined;

  constructor(
    readonly engine: EngineName,
    /** the settings of the container a step runs in */
    private readonly settingsOf: (node: PipelineNode) => ContainerSettings,
    /** the pipeline or job file the container loads (mounted if outside the working directory) */
    private readonly sourceFile: (rc: RunContext) => string,
  ) {}

  /** Only user code goes into a container: tasks and a job's task. */
  runsElsewhere(cmd: Pick<StepCommand, 'kind' | 'node'>): boolean {
    return cmd.kind === 'job-task' || (cmd.kind === 'execute-single-node' && cmd.node.type === 'task');
  }

  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const settings = this.settingsOf(cmd.node);
    const image = await this.image(settings.image);
    this.mounts ??= runMounts(rc, this.sourceFile(rc));
    const args = runArgs({
      image: image?.id ?? settings.image,
      name: containerName(rc.runId, cmd.internalName),
      cwd: rc.cwd,
      mounts: await this.mounts,
      env: { ...settings.environment, ...cmd.env },
      passEnv: passedEnv(cmd.node.type === 'task' ? cmd.node.secrets : [], configVariables(rc.configFile, rc.cwd)),
      labels: { 'runnable.run_id': rc.runId, 'runnable.step': cmd.internalName, 'runnable.image': settings.image },
      remove: settings.remove,
      user: this.engine === 'docker' && process.getuid?.() ? `${process.getuid()}:${process.getgid?.()}` : undefined,
      network: settings.network,
      options: settings.runOptions,
      command: ['node', programFor(cmd), ...cmd.args],
    });
    return containerEnd(await runProcess(rc, cmd, this.engine, args));
  }

  /** The image the command ran in (again: an image the engine did not have before may have been pulled by it). */
  async ranAt(_rc: RunContext, cmd: StepCommand): Promise<RanAt> {
    const ref = this.settingsOf(cmd.node).image;
    return { identity: imageIdentity(this.engine, await this.image(ref, true), ref), replaces: (c) => c.code_identifier_type === 'docker' };
  }

  private image(ref: string, again = false): Promise<ImageInfo | undefined> {
    let found = this.images.get(ref);
    if (!found || again) {
      found = (found ?? Promise.resolve(undefined)).then((info) => info ?? inspectImage(this.engine, ref));
      this.images.set(ref, found);
    }
    return found;
  }
}
