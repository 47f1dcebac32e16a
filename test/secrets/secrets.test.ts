import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { secretsStores } from '../../src/secrets/index.js';

describe('env-secrets', () => {
  afterEach(() => {
    delete process.env.RT_TEST_SECRET;
  });

  it('reads secrets from the environment', async () => {
    process.env.RT_TEST_SECRET = 'hunter2';
    const store = secretsStores.create('env-secrets', undefined, { cwd: '/' });
    expect(store.type).toBe('env-secrets');
    expect(await store.get('RT_TEST_SECRET')).toBe('hunter2');
  });

  it('fails naming an absent secret', async () => {
    const store = secretsStores.create('env-secrets', {}, { cwd: '/' });
    const err = await store.get('RT_TEST_SECRET').catch((e) => e);
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toMatch(/secret 'RT_TEST_SECRET' is not set in the environment/);
  });

  it('takes no config', () => {
    expect(() => secretsStores.create('env-secrets', { prefix: 'x' }, { cwd: '/' })).toThrow(/unknown field\(s\) 'prefix'/);
  });
});

describe('dotenv', () => {
  const project = async (files: Record<string, string>) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rt-secrets-'));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  };

  it('reads .env in the working directory by default', async () => {
    const cwd = await project({ '.env': 'API_TOKEN=abc\n# comment\nQUOTED="two words"\nMULTI="a\\nb"\n' });
    const store = secretsStores.create('dotenv', undefined, { cwd });
    expect(await store.get('API_TOKEN')).toBe('abc');
    expect(await store.get('QUOTED')).toBe('two words');
    expect(await store.get('MULTI')).toBe('a\nb');
  });

  it('reads the configured location relative to the working directory, once', async () => {
    const cwd = await project({ 'secrets.env': 'A=1\n' });
    const store = secretsStores.create('dotenv', { location: 'secrets.env' }, { cwd });
    expect(await store.get('A')).toBe('1');
    await writeFile(path.join(cwd, 'secrets.env'), 'A=2\n');
    expect(await store.get('A')).toBe('1');
  });

  it('fails naming an absent secret and the file', async () => {
    const cwd = await project({ '.env': 'A=1\n' });
    const store = secretsStores.create('dotenv', {}, { cwd });
    await expect(store.get('B')).rejects.toThrow("secret 'B' is not in .env");
  });

  it('fails naming a missing file, only when a secret is asked for', async () => {
    const cwd = await project({});
    const store = secretsStores.create('dotenv', { location: 'nope.env' }, { cwd });
    const err = await store.get('A').catch((e) => e);
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.message).toMatch(/^secrets file nope.env \(.*nope.env\): not found$/);
  });

  it('rejects unknown config fields', () => {
    expect(() => secretsStores.create('dotenv', { path: '.env' }, { cwd: '/' })).toThrow(RunnableError);
  });
});
