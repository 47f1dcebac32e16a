/**
 * The launcher (engine/launcher.ts) that runs a command as a Kubernetes `batch/v1` Job: the
 * manifest comes from its owner (`manifestFor`: the k8s-job executor builds it from its config),
 * the Job is created, followed to its end with its pod's log streamed to the observer, and
 * deleted (propagationPolicy Background) when the run is stopped. How it ended is a
 * `StepProcessResult`: the pod's exit code, or Kubernetes' reason (BackoffLimitExceeded,
 * DeadlineExceeded, OOMKilled) and, when nothing could be submitted, the API server's answer or
 * why it could not be reached. It never throws for a Job that failed or could not be created.
 */
import type { RunContext } from '../engine/context.js';
import type { Launcher, RanAt, StepCommand, StepProcessResult } from '../engine/launcher.js';
import { RunnableError } from '../errors.js';
import type { KubernetesClient } from '../k8s/client.js';
import type { Manifest } from '../k8s/manifest.js';

export class KubernetesJobLauncher implements Launcher {
  private imageId?: string;

  constructor(
    private readonly connect: () => Promise<KubernetesClient>,
    private readonly manifestFor: (rc: RunContext, cmd: StepCommand) => Promise<Manifest>,
    private readonly pollMs: number,
  ) {}

  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const manifest = await this.manifestFor(rc, cmd);
    const { name, namespace } = manifest.metadata as { name: string; namespace: string };
    try {
      const client = await this.connect();
      await client.create(manifest);
      rc.observer.output?.(cmd.internalName, 2, `k8s-job: created Job ${namespace}/${name} on ${client.server}\n`);
      const end = await client.follow(name, namespace, {
        pollMs: this.pollMs,
        signal: rc.signal,
        output: (chunk) => rc.observer.output?.(cmd.internalName, 1, chunk),
        notice: (line) => rc.observer.output?.(cmd.internalName, 2, line),
      });
      this.imageId = end.imageId;
      return { exitCode: end.succeeded ? 0 : null, reason: end.succeeded ? `${end.how} without recording its end` : end.how, stdout: '', stderrTail: end.logTail };
    } catch (e) {
      // nothing ran: the API server unreachable, the Job refused
      if (!(e instanceof RunnableError)) throw e;
      return { exitCode: null, reason: e.message, stdout: '', stderrTail: '' };
    }
  }

  /** The image the pod ran, with the digest the kubelet reported (SPEC §5 `docker` identity). */
  async ranAt(rc: RunContext, cmd: StepCommand): Promise<RanAt> {
    const manifest = await this.manifestFor(rc, cmd);
    const image = String((manifest.toJSON() as { spec: { template?: { spec: { containers: { image: string }[] } } } }).spec.template?.spec.containers[0]?.image);
    const digest = this.imageId?.match(/sha256:[0-9a-f]{64}/)?.[0];
    const job = `${manifest.metadata!.namespace}/${manifest.metadata!.name}`;
    return {
      identity: {
        code_identifier: digest ?? image,
        code_identifier_type: 'docker',
        code_identifier_dependable: !!digest,
        code_identifier_url: image,
        code_identifier_message: digest ? `image ${image} run by Kubernetes Job ${job}` : `image ${image} (Kubernetes Job ${job}): its digest was not reported`,
      },
      replaces: (c) => c.code_identifier_type === 'docker',
    };
  }
}
