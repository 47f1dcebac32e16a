/**
 * The OutputSink a task writes to: forwards output live to the observer, keeps the whole text
 * for the catalog log file and the stderr tail for the failure message; secret values are masked,
 * also when a task writes one in several pieces.
 */
import { maskSecrets } from '../util/mask.js';
import type { OutputSink } from '../tasks/types.js';
import type { RunObserver } from '../engine/context.js';

const TAIL_LINES = 20;
const TAIL_BYTES = 8_192;

export class StepOutput implements OutputSink {
  private readonly chunks: string[] = [];
  private stderrTail = '';
  private readonly decoders = [new TextDecoder(), new TextDecoder()];
  /**
   * per stream, the end of the output so far that could be the start of a secret: held back
   * until the next chunk shows whether it is, so a secret written in pieces is masked too
   */
  private readonly pending = ['', ''];

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
    const raw = typeof chunk === 'string' ? chunk : this.decoders[stream - 1]!.decode(chunk, { stream: true });
    const text = this.mask(this.pending[stream - 1] + raw);
    const held = this.secretPrefixAtEnd(text);
    this.pending[stream - 1] = text.slice(text.length - held);
    this.emit(stream, text.slice(0, text.length - held));
  }

  private emit(stream: 1 | 2, text: string): void {
    if (!text) return;
    this.chunks.push(text);
    if (stream === 2) this.stderrTail = (this.stderrTail + text).slice(-TAIL_BYTES);
    this.observer.output?.(this.internalName, stream, text);
  }

  /** length of the longest end of `text` that is the start (not the whole) of a secret */
  private secretPrefixAtEnd(text: string): number {
    let longest = 0;
    for (const s of this.secrets) {
      for (let n = Math.min(s.length - 1, text.length); n > longest; n--) {
        if (text.endsWith(s.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }

  /** Emits what was held back; called when the task is over (and before reading text/tail). */
  end(): void {
    for (const stream of [1, 2] as const) {
      const rest = this.pending[stream - 1] + this.decoders[stream - 1]!.decode();
      this.pending[stream - 1] = '';
      this.emit(stream, this.mask(rest));
    }
  }

  mask(text: string): string {
    return maskSecrets(text, this.secrets);
  }

  /** everything the task printed, stdout and stderr interleaved as produced */
  text(): string {
    this.end();
    return this.chunks.join('');
  }

  /** last lines of stderr, for the step's failure message */
  tail(): string {
    this.end();
    const lines = this.stderrTail.replace(/\n$/, '').split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
  }
}
