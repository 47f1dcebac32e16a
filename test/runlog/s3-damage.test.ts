/**
 * Damage reporting in the S3 run-log stores, as in file-system and chunked-fs (the shared record
 * code, src/runlog/_record-set.ts and _records.ts): a journal object or record object that holds
 * no record is skipped, the rest of the run still reads, and `damage(runId)` names it. Against a
 * real S3-compatible server (s3rver on loopback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogStores } from '../../src/runlog/index.js';
import type { RunLogStore } from '../../src/runlog/types.js';
import type { Bucket } from '../../src/s3/bucket.js';
import { startS3, type TestS3 } from '../_s3.js';
import { header, step } from './_fixture.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(['damage']);
});
afterAll(() => s3?.close());

const make = (type: string, prefix: string): RunLogStore & { bucket: Bucket } =>
  runLogStores.create(type, s3.config(`damage/${prefix}`), { cwd: process.cwd(), env: {} }) as RunLogStore & { bucket: Bucket };

const stepRecord = (name: string) => {
  const { branches: _, ...data } = step(name);
  return { kind: 'step' as const, key: name, parent: '', data };
};

describe('damaged records in the S3 run-log stores', () => {
  it('s3: a journal object that is not a record is skipped and reported; a fresh reader still reads the rest', async () => {
    const writer = make('s3', 'journal');
    await writer.create(header('r1'));
    await writer.put('r1', stepRecord('a'));
    await writer.bucket.put(writer.bucket.key('r1/journal/99999999999999999999.json'), '{"kind":"step","ke');
    const reader = make('s3', 'journal');
    expect((await reader.list('r1')).map((r) => r.key)).toContain('a');
    expect(await reader.damage!('r1')).toEqual([`${writer.bucket.key('r1/journal/99999999999999999999.json')} is not a record; skipped`]);
  });

  it('s3: an intact run has no damage', async () => {
    const store = make('s3', 'intact');
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    expect(await make('s3', 'intact').damage!('r1')).toEqual([]);
  });

  it('chunked-s3: a record object that is not a record is skipped and reported', async () => {
    const store = make('chunked-s3', 'chunks');
    await store.create(header('r1'));
    await store.put('r1', stepRecord('a'));
    await store.bucket.put(store.bucket.key('r1/step-b.json'), 'not json');
    expect((await store.list('r1')).map((r) => r.key)).toEqual(['', '', 'a']);
    expect(await store.damage!('r1')).toEqual([`${store.bucket.key('r1/step-b.json')} is not a record; skipped`]);
  });
});
