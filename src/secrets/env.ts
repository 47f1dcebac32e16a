/**
 * `env-secrets`: secrets are environment variables (runnable's default): the process's own, or
 * those the library was given (`execute({env})`).
 */
import { RunnableError } from '../errors.js';
import type { SecretsStore } from './types.js';

export class EnvSecrets implements SecretsStore {
  readonly type = 'env-secrets';
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(name: string): Promise<string> {
    const value = this.env[name];
    if (value === undefined) {
      throw new RunnableError('E_CONFIG', `secret '${name}' is not set in the environment (secrets store 'env-secrets')`, {
        field: 'secrets',
      });
    }
    return value;
  }
}
