/**
 * The secrets contract's fixtures (test/secrets/contract.test.ts): for each registered secrets
 * store type, how to give a store configured under a test's own folder a set of secrets.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemberHooks } from '../_members.js';

export interface SecretsFixture extends MemberHooks {
  /**
   * The section's `config` and the environment of a store, working directory `dir`, that holds
   * exactly `secrets` (values: any text without double quotes, newlines included).
   */
  provide(dir: string, secrets: Record<string, string>): Promise<{ config: unknown; env: NodeJS.ProcessEnv }>;
  /** true for a store that holds nothing and answers every name with '' (runnable's `do-nothing`): the contract checks that instead */
  emptyForEveryName?: boolean;
}

export const secretsMembers: Record<string, SecretsFixture> = {
  'env-secrets': { provide: async (_dir, secrets) => ({ config: {}, env: { ...secrets } }) },
  'do-nothing': { emptyForEveryName: true, provide: async (_dir, secrets) => ({ config: {}, env: { ...secrets } }) },
  dotenv: {
    async provide(dir, secrets) {
      const lines = Object.entries(secrets).map(([name, value]) => `${name}="${value.replace(/\n/g, '\\n')}"`);
      await writeFile(join(dir, 'contract.env'), `# secrets for the contract\n${lines.join('\n')}\n`);
      return { config: { location: 'contract.env' }, env: {} };
    },
  },
};
