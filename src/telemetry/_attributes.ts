/** Span attributes both a driver's and a pod's attempt spans carry. */
import type { Parameters } from '../runlog/types.js';

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
