/** Secrets stores by config `type` (SPEC §6): `env-secrets` (default), `dotenv`, `do-nothing`. */
import path from 'node:path';
import * as z from 'zod';
import { Registry } from '../registry.js';
import { DotenvSecrets } from './dotenv.js';
import { EnvSecrets } from './env.js';
import type { SecretsStore } from './types.js';

export const secretsStores = new Registry<SecretsStore>('secrets')
  .register('env-secrets', {
    config: z.strictObject({}),
    create: (_config, env) => new EnvSecrets(env.env),
  })
  // runnable's `do-nothing`: every secret is the empty string (pipelines that declare secrets run without any)
  .register('do-nothing', {
    config: z.strictObject({}),
    create: () => ({ type: 'do-nothing', get: async () => '' }),
  })
  .register('dotenv', {
    config: z.strictObject({ location: z.string().min(1).default('.env') }),
    create: (config, env) => new DotenvSecrets(path.resolve(env.cwd, config.location), config.location),
  });

export { EnvSecrets } from './env.js';
export { DotenvSecrets } from './dotenv.js';
export { hideSecrets, inheritedEnv, isHiddenSecret, secretForms } from './scope.js';
