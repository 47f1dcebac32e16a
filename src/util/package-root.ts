/**
 * Where this installation of runnable-ts is: the folder of its package.json. Found by walking up
 * from this module, so that the paths below hold wherever the code runs from: `src/` (tests),
 * `dist/` (the library) or `dist/bundle/` (the bundled command line, see scripts/bundle.mjs).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'runnable-ts';

export const PACKAGE_ROOT = ((): string => {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) throw new Error(`runnable-ts: no package.json named '${PACKAGE_NAME}' above ${start}`);
  }
})();

/** A file of the installation, from its root: `installed('bin/runnable.js')`. */
export function installed(relative: string): string {
  return path.join(PACKAGE_ROOT, relative);
}

/** The version of this installation (its package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(installed('package.json'), 'utf8')) as { version: string }).version;
}
