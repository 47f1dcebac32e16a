/**
 * The configuration file (SPEC §6): which file, `${VAR}` expansion, and the section shape
 * `{type, config}`. Whether a `type` exists and what its `config` may hold is for the plugin
 * registries (src/registry.ts) to say, so this stays valid as plugins are added.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RunnableError } from '../errors.js';
import { readYamlFile } from '../yaml/yaml-file.js';
import type { YamlPath } from '../yaml/yaml-file.js';
import { expandVars } from './_expand.js';

export const CONFIG_SECTIONS = ['pipeline-executor', 'job-executor', 'run-log-store', 'catalog', 'secrets', 'step-cache', 'telemetry'] as const;
export type ConfigSectionName = (typeof CONFIG_SECTIONS)[number];

export interface ConfigSection {
  type: string;
  config: Record<string, unknown>;
}

export interface LoadedConfig {
  /** the file used, as shown in messages; undefined when running on defaults */
  file?: string;
  /** every section, defaults filled in */
  sections: Record<ConfigSectionName, ConfigSection>;
  /** the file's content after `${VAR}` expansion ({} without a file) */
  raw: Record<string, unknown>;
  /** the file's content as written, `${VAR}` unexpanded ({} without a file) */
  written: Record<string, unknown>;
}

export const DEFAULT_SECTIONS: Readonly<Record<ConfigSectionName, string>> = {
  'pipeline-executor': 'local',
  'job-executor': 'local',
  'run-log-store': 'file-system',
  catalog: 'file-system',
  secrets: 'env-secrets',
  'step-cache': 'per-step',
  // src/telemetry/: `otlp` sends traces; off unless written (or OTEL_EXPORTER_OTLP_ENDPOINT is set)
  telemetry: 'none',
};

export const USER_CONFIG_FILE = 'runnable-config.yaml';

export async function loadConfig(opts: { file?: string; cwd: string; env: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  const chosen = chooseFile(opts);
  const sections = Object.fromEntries(
    CONFIG_SECTIONS.map((s) => [s, { type: DEFAULT_SECTIONS[s], config: {} }]),
  ) as Record<ConfigSectionName, ConfigSection>;
  if (!chosen) return { sections, raw: {}, written: {} };

  const y = await readYamlFile(chosen.file, opts.cwd, `config file${chosen.via}`);
  const fail = (message: string, at: YamlPath, field = fieldOf(at)): never => {
    throw new RunnableError('E_CONFIG', message, { file: y.file, field: field || undefined, line: y.lineOf(at) });
  };

  if (y.value === null || y.value === undefined) return { file: y.file, sections, raw: {}, written: {} };
  if (!isRecord(y.value)) fail(`a config file must be a mapping of sections (${CONFIG_SECTIONS.join(', ')})`, []);
  const raw = expandVars(y.value, opts.env, (name, at) =>
    fail(`environment variable '${name}' is not set`, at),
  ) as Record<string, unknown>;

  for (const [name, section] of Object.entries(raw)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(name)) {
      fail(`unknown section '${name}' (known: ${CONFIG_SECTIONS.join(', ')})`, [name]);
    }
    sections[name as ConfigSectionName] = readSection(name, section, fail);
  }
  return { file: y.file, sections, raw, written: y.value as Record<string, unknown> };
}

/**
 * The sections as a run log records them (`run_config`): each type as resolved, each `config`
 * as written, `${VAR}` unexpanded, so that a value taken from the environment (a credential,
 * say) is never stored in a run log.
 */
export function sectionsForRunLog(config: LoadedConfig, omit: readonly ConfigSectionName[] = []): Record<string, ConfigSection> {
  const recorded: Record<string, ConfigSection> = {};
  for (const name of CONFIG_SECTIONS) {
    if (omit.includes(name)) continue;
    if (name === 'telemetry' && config.written[name] === undefined) continue; // off and not written: not worth a line in every run log
    const written = config.written[name];
    const writtenConfig = isRecord(written) && isRecord(written.config) ? written.config : {};
    recorded[name] = { type: config.sections[name].type, config: writtenConfig };
  }
  return recorded;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fieldOf = (at: YamlPath) => at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

function chooseFile(opts: { file?: string; cwd: string; env: NodeJS.ProcessEnv }): { file: string; via: string } | undefined {
  if (opts.file) return { file: opts.file, via: '' };
  const fromEnv = opts.env.RUNNABLE_CONFIGURATION_FILE;
  if (fromEnv) return { file: fromEnv, via: ' (from RUNNABLE_CONFIGURATION_FILE)' };
  if (existsSync(path.join(opts.cwd, USER_CONFIG_FILE))) return { file: USER_CONFIG_FILE, via: '' };
  return undefined;
}

function readSection(name: string, value: unknown, fail: (m: string, at: YamlPath, field?: string) => never): ConfigSection {
  if (!isRecord(value)) return fail(`a section must be a mapping {type, config}`, [name]);
  for (const key of Object.keys(value)) {
    if (key !== 'type' && key !== 'config') fail(`unknown field '${key}' (a section has 'type' and 'config')`, [name, key]);
  }
  if (value.type === undefined || value.type === null) fail(`missing required field 'type'`, [name], `${name}.type`);
  if (typeof value.type !== 'string' || !value.type.trim()) fail(`'type' must be a non-empty string`, [name, 'type']);
  const config = value.config ?? {};
  if (!isRecord(config)) fail(`'config' must be a mapping`, [name, 'config']);
  return { type: value.type as string, config: config as Record<string, unknown> };
}
