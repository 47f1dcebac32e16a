/**
 * The OutputSink a task writes to: forwards output live to the observer, keeps the whole text
 * for the catalog log file and the stderr tail for the failure message; secret values are masked.
 */
import type { OutputSink } from '../tasks/types.js';
import type { RunObserver } from '../executors/context.js';

const TAIL_LINES = 20;
const TAIL_BYTES = 8_192;

export class StepOutput implements OutputSink {
  private readonly chunks: string[] = [];
  private stderrTail = '';
  private readonly decoder1 = new TextDecoder();
  private readonly decoder2 = new TextDecoder();

  constructor(
    private readonly internalName: string,
    private readonly observer: RunObserver,
    private readonly secrets: string[],
  ) {}

  stdout(chunk: string | Uint8Array): void {
    this.take(1, chunk);
  }

  stderr(chunk: string | Uint8Array): void {
    this.take(2, chunk);
  }

  private take(stream: 1 | 2, chunk: string | Uint8Array): void {
    const raw = typeof chunk === 'string' ? chunk : (stream === 1 ? this.decoder1 : this.decoder2).decode(chunk, { stream: true });
    const text = this.mask(raw);
    if (!text) return;
    this.chunks.push(text);
    if (stream === 2) this.stderrTail = (this.stderrTail + text).slice(-TAIL_BYTES);
    this.observer.output?.(this.internalName, stream, text);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s) out = out.split(s).join('***');
    return out;
  }

  /** everything the task printed, stdout and stderr interleaved as produced */
  text(): string {
    return this.chunks.join('');
  }

  /** last lines of stderr, for the step's failure message */
  tail(): string {
    const lines = this.stderrTail.replace(/\n$/, '').split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
  }
}
