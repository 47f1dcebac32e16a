/**
 * The ids of a run's trace where no driver hands them out (Argo pods): derived from the run id,
 * so that every pod of the run finds the same ones without asking anyone. The trace id and the
 * span ids of the run, of each step and of each branch (by resolved internal name) are slices of
 * a sha256 of the run id, the submission (`run_config.retries`: a resubmitted workflow continues
 * the run in a new trace, as `runnable retry` does) and the span's name. Attempt spans, whose
 * ids nobody else needs, keep random ids.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface DerivedIds {
  /** 32 hex digits, not all zero */
  traceId: string;
  /** the span id (16 hex digits, not all zero) of the run's root span */
  run: string;
  step(internalName: string): string;
  branch(internalName: string): string;
}

export function derivedIds(runId: string, submission: number): DerivedIds {
  const id = (what: string, digits: number) => notAllZero(createHash('sha256').update(`runnable-ts trace\0${runId}\0${submission}\0${what}`).digest('hex').slice(0, digits));
  return {
    traceId: id('trace', 32),
    run: id('run', 16),
    step: (name) => id(`step ${name}`, 16),
    branch: (name) => id(`branch ${name}`, 16),
  };
}

/** W3C: an id of all zeros is invalid (one in 2^64 slices). */
function notAllZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * An OpenTelemetry SDK `IdGenerator` that gives a root span the derived trace id and the next
 * span the id set in `next` (once), any other span a random one.
 */
export class ChosenIds {
  next: string | undefined;
  constructor(private readonly traceId: string) {}
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    const id = this.next ?? randomBytes(8).toString('hex');
    this.next = undefined;
    return id;
  }
}
