/**
 * Every plugin family's contract test runs `describe.each` over its registry's types and takes,
 * per type, a fixture from the family's `_members.ts` table (how to build a configured
 * instance in a temp folder, with optional async setup/teardown, e.g. to start a server). A
 * registered type without a fixture fails its suite, so a new member cannot be registered
 * untested.
 */
import { afterAll, beforeAll, it } from 'vitest';

/** What every fixture may add: async work around the member's whole suite. */
export interface MemberHooks {
  /** before the member's first test (start a server, create a bucket) */
  setup?(): Promise<void>;
  /** after its last test */
  teardown?(): Promise<void>;
}

/**
 * The fixture of `type` with its hooks registered on the current `describe`, or undefined
 * after registering one failing test that names the table to add it to. Call it at the top
 * of the `describe.each` callback and return when it gives undefined.
 */
export function memberFixture<F extends MemberHooks>(table: Readonly<Record<string, F>>, type: string, tableFile: string): F | undefined {
  const fixture = Object.hasOwn(table, type) ? table[type] : undefined;
  if (!fixture) {
    it('has a fixture', () => {
      throw new Error(`the registered type '${type}' has no fixture in ${tableFile}: add one so the contract runs against it`);
    });
    return undefined;
  }
  if (fixture.setup) beforeAll(() => fixture.setup!(), 120_000);
  if (fixture.teardown) afterAll(() => fixture.teardown!(), 120_000);
  return fixture;
}
