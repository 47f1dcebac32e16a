/**
 * The installation's own files are found from any copy of the code: src/ (these tests), dist/
 * and the bundled command line in dist/bundle/ (the CLI runs below).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { installed, PACKAGE_ROOT } from '../../src/util/package-root.js';
import { cli } from '../engine/_helpers.js';

const REPO = resolve(import.meta.dirname, '../..');

describe('package root', () => {
  it('is the folder of the package.json named runnable-ts', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect(existsSync(installed('bin/runnable.js'))).toBe(true);
    expect(existsSync(installed('dist/bundle/runnable.mjs'))).toBe(true);
  });

  it('a RunnableError from another copy of the library is still one', () => {
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('runnable-ts.error'), { value: true });
    expect(foreign instanceof RunnableError).toBe(true);
    expect(new Error('x') instanceof RunnableError).toBe(false);
    expect(new RunnableError('E_USAGE', 'x') instanceof RunnableError).toBe(true);
  });

  it("the bundled CLI reports bad input from a module's own copy of the library as bad input (exit 2)", async () => {
    const r = await cli(['execute', join('test', 'fixtures', 'sdk', 'module-bad-pipeline-package.ts')], REPO);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/duplicate step name 'same'/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
