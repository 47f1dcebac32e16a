/**
 * The one registry shape every plugin family uses (executors, job executors, run-log stores,
 * catalogs, secrets, step caches, task kinds): members keyed by name, `register` one line per
 * member in the family's index.ts, `types()` for messages and for the family's contract test
 * (which runs against every registered type). `Family` holds members as they are (task kinds,
 * step-cache factories); `Registry` holds plugins built from a config section `{type, config}`.
 */
import type * as z from 'zod';
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

/** The error for a name no member has; `known` lists the registered ones. */
export type UnknownMember = (type: string, known: string[], file?: string) => RunnableError;

export class Family<M> {
  private readonly members = new Map<string, M>();

  constructor(
    /** the config section (or field) the names come from, for messages */
    readonly section: string,
    private readonly unknown: UnknownMember = (type, known, file) =>
      new RunnableError('E_CONFIG', `unknown type '${type}'; known types: ${known.join(', ')}`, { file, field: `${section}.type` }),
  ) {}

  register(type: string, member: M): this {
    this.members.set(type, member);
    return this;
  }

  /** A name other tools (runnable) use that has no member here, and what to do instead: its error says so. */
  unsupported(type: string, instead: string): this {
    this.notHere.set(type, instead);
    return this;
  }
  private readonly notHere = new Map<string, string>();

  /** registered names, in registration order */
  types(): string[] {
    return [...this.members.keys()];
  }

  has(type: string): boolean {
    return this.members.has(type);
  }

  /** the member of a name, or undefined (for families where an absent member is normal) */
  find(type: string): M | undefined {
    return this.members.get(type);
  }

  /** the member of a name; an unknown one is a RunnableError naming the known ones */
  get(type: string, file?: string): M {
    const member = this.members.get(type);
    if (member !== undefined) return member;
    const instead = this.notHere.get(type);
    if (instead) throw new RunnableError('E_CONFIG', `type '${type}' is not supported here: ${instead}`, { file, field: `${this.section}.type` });
    throw this.unknown(type, this.types(), file);
  }
}

export class Registry<T> extends Family<Plugin<T, any>> {
  override register<C>(type: string, plugin: Plugin<T, C>): this {
    return super.register(type, plugin);
  }

  create(type: string, rawConfig: unknown, env: PluginEnv): T {
    const file = env.configFile;
    const plugin = this.get(type, file);
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
