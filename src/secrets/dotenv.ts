/**
 * `dotenv`: secrets from a `.env` file, read once on the first secret asked for (so a run that
 * needs no secret never requires the file). Meant for local development, as in runnable.
 */
import { readFile } from 'node:fs/promises';
import { RunnableError } from '../errors.js';
import type { SecretsStore } from './types.js';

export class DotenvSecrets implements SecretsStore {
  readonly type = 'dotenv';
  private values: Promise<Record<string, string>> | undefined;

  /** @param file absolute path of the .env file; @param shown the path as the user wrote it */
  constructor(
    private readonly file: string,
    private readonly shown: string = file,
  ) {}

  async get(name: string): Promise<string> {
    this.values ??= this.load();
    const values = await this.values;
    if (!Object.hasOwn(values, name)) {
      throw new RunnableError('E_CONFIG', `secret '${name}' is not in ${this.shown} (secrets store 'dotenv')`, {
        field: 'secrets',
      });
    }
    return values[name]!;
  }

  private async load(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message;
      throw new RunnableError('E_CONFIG', `secrets file ${this.shown} (${this.file}): ${why}`, { file: this.shown });
    }
    // Imported here so that runs without dotenv secrets never load it.
    const { parse } = await import('dotenv');
    return parse(text);
  }
}
