/**
 * One registry per plugin family (executors, run-log stores, catalogs, secrets, task kinds),
 * keyed by the config's `type`. A new member is a new file plus one `register` line in its
 * family's index.ts.
 */
import type { z } from 'zod';
import { RunnableError } from './errors.js';

export interface PluginEnv {
  /** the working directory all relative paths are taken from */
  cwd: string;
  /** the config file the section came from, for messages */
  configFile?: string;
  /** the environment the run reads its settings from (default: `process.env`) */
  env?: NodeJS.ProcessEnv;
}

export interface Plugin<T, C = unknown> {
  /** validates the section's `config`; unknown keys are errors */
  config: z.ZodType<C>;
  create(config: C, env: PluginEnv): T;
}

export class Registry<T> {
  private readonly members = new Map<string, Plugin<T, any>>();
  constructor(readonly section: string) {}

  register<C>(type: string, plugin: Plugin<T, C>): this {
    this.members.set(type, plugin);
    return this;
  }

  types(): string[] {
    return [...this.members.keys()];
  }

  has(type: string): boolean {
    return this.members.has(type);
  }

  create(type: string, rawConfig: unknown, env: PluginEnv): T {
    const plugin = this.members.get(type);
    const file = env.configFile;
    if (!plugin) {
      throw new RunnableError('E_CONFIG', `unknown type '${type}'; known types: ${this.types().join(', ')}`, {
        file,
        field: `${this.section}.type`,
      });
    }
    const parsed = plugin.config.safeParse(rawConfig ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.length ? `.${issue.path.join('.')}` : '';
      const what = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
      throw new RunnableError('E_CONFIG', `${what} (type '${type}')`, { file, field: `${this.section}.config${path}` });
    }
    return plugin.create(parsed.data, env);
  }
}
