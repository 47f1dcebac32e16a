/** `env-secrets`: secrets are the process's own environment variables (runnable's default). */
import { RunnableError } from '../errors.js';
import type { SecretsStore } from './types.js';

export class EnvSecrets implements SecretsStore {
  readonly type = 'env-secrets';

  async get(name: string): Promise<string> {
    const value = process.env[name];
    if (value === undefined) {
      throw new RunnableError('E_CONFIG', `secret '${name}' is not set in the environment (secrets store 'env-secrets')`, {
        field: 'secrets',
      });
    }
    return value;
  }
}
