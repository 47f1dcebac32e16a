/** The step cache of the `buffered` run-log store: in memory, as long as the store lives. */
import type { CacheEntry, StepCache } from './types.js';

export class MemoryStepCache implements StepCache {
  readonly location = 'memory (buffered run log store)';
  private readonly byKey = new Map<string, CacheEntry>();
  private readonly byStep = new Map<string, CacheEntry>();

  async lookup(key: string): Promise<CacheEntry | undefined> {
    const e = this.byKey.get(key);
    return e && structuredClone(e);
  }

  async latestFor(step: string): Promise<CacheEntry | undefined> {
    const e = this.byStep.get(step);
    return e && structuredClone(e);
  }

  async save(entry: CacheEntry): Promise<void> {
    // Copies: a caller mutating its entry (or a restored attempt) never changes the index.
    this.byKey.set(entry.key, structuredClone(entry));
    this.byStep.set(entry.step, structuredClone(entry));
  }
}
