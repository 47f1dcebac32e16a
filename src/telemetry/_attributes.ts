/** Span attributes both a driver's and a pod's attempt spans carry. */
import type { Parameters, StepAttempt } from '../runlog/types.js';

const MAX_VALUE = 256;

/** An attempt's parameters as attributes `<prefix>.<name>`: JSON, cut at 256 characters, secrets masked. */
export function paramAttributes(prefix: string, params: Parameters, mask: (s: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, p] of Object.entries(params)) {
    const text = p.kind === 'object' ? `<object ${String(p.value)}>` : (JSON.stringify(p.value) ?? 'undefined');
    out[`${prefix}.${name}`] = mask(text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text);
  }
  return out;
}

/** What the run log recorded of an attempt, as attributes: its parameters in and out (masked) and its cache status. */
export function recordAttributes(rec: StepAttempt | undefined, mask: (s: string) => string): Record<string, string> {
  if (!rec) return {};
  return {
    ...paramAttributes('runnable.input', rec.input_parameters, mask),
    ...paramAttributes('runnable.output', rec.output_parameters, mask),
    ...(rec.cache ? { 'runnable.cache': rec.cache.status } : {}),
  };
}

/** Attempt `number` of step `name` as its run log holds it. */
export async function attemptRecord(log: { step(name: string): Promise<{ attempts: StepAttempt[] } | undefined> }, name: string, number: number): Promise<StepAttempt | undefined> {
  return (await log.step(name))?.attempts.find((a) => a.attempt_number === number);
}
