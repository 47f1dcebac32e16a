/**
 * The contract every secrets store passes (SPEC §6; src/secrets/types.ts), against each
 * registered type given its secrets by its fixture in _members.ts: values come back exactly,
 * names are case-sensitive, an absent secret is one E_CONFIG error that names it and shows no
 * secret's value, and a store nobody asks costs nothing (a run that needs no secret never fails
 * for its secrets store). A store that holds nothing (`do-nothing`) answers '' for every name.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { secretsStores } from '../../src/secrets/index.js';
import type { SecretsStore } from '../../src/secrets/types.js';
import { memberFixture } from '../_members.js';
import { secretsMembers } from './_members.js';

const SECRETS: Record<string, string> = {
  API_TOKEN: 'hunter2',
  api_token: 'lowercase is another secret',
  SPACED: 'two words = and # hash',
  UNICODE: 'ünïcödé ✓',
  MULTILINE: 'line one\nline two',
  EMPTY: '',
};

describe.each(secretsStores.types())('secrets store contract: %s', (type) => {
  const fixture = memberFixture(secretsMembers, type, 'test/secrets/_members.ts');
  if (!fixture) return;

  let dir: string;
  const storeWith = async (secrets: Record<string, string>): Promise<SecretsStore> => {
    const { config, env } = await fixture.provide(dir, secrets);
    return secretsStores.create(type, config, { cwd: dir, env });
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `secrets-${type}-`));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reports its type', async () => {
    expect((await storeWith({})).type).toBe(type);
  });

  if (fixture.emptyForEveryName) {
    it("answers every name with '' and reads nothing, not even the environment it is given", async () => {
      const store = await storeWith(SECRETS);
      for (const name of [...Object.keys(SECRETS), 'MISSING']) expect(await store.get(name)).toBe('');
    });
    return;
  }

  it('gives back each value exactly; names are case-sensitive', async () => {
    const store = await storeWith(SECRETS);
    for (const [name, value] of Object.entries(SECRETS)) expect(await store.get(name)).toBe(value);
    expect(await store.get('API_TOKEN')).toBe('hunter2');
  });

  it("an absent secret is an E_CONFIG error naming it, without any secret's value", async () => {
    const store = await storeWith(SECRETS);
    for (const name of ['MISSING', 'Api_Token']) {
      const err = await store.get(name).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RunnableError);
      expect((err as RunnableError).code).toBe('E_CONFIG');
      expect((err as RunnableError).message).toContain(`'${name}'`);
      for (const value of Object.values(SECRETS).filter(Boolean)) expect(JSON.stringify(err) + String(err)).not.toContain(value);
    }
  });

  it('is built without reading anything: a store with no secrets fails only when one is asked for', async () => {
    const { config, env } = await fixture.provide(dir, {});
    await rm(dir, { recursive: true, force: true });
    const store = secretsStores.create(type, config, { cwd: dir, env });
    await expect(store.get('API_TOKEN')).rejects.toThrow(RunnableError);
  });
});
