/**
 * `object`-kind parameters (SPEC §3): any value a task returns is serialised into the run's
 * catalog and the run log records only a reference, the catalog-relative path (run-relative,
 * the form `CatalogStore.readFile` takes), e.g. `.objects/train.a/model.v8`.
 *
 * The format is v8's structured serialisation: it keeps Map, Set, Date, RegExp, typed arrays,
 * BigInt, Error and nested/cyclic plain objects, but not functions, symbols or promises, and
 * class instances come back as plain objects (their prototype is not stored). Objects are
 * readable by TypeScript/JavaScript tasks only.
 *
 * Python tasks and notebooks pickle theirs: they hand over a `ForeignObject` (the bytes and their
 * format), stored as is with the format as extension (`.pickle`) and read back as a
 * ForeignObject, which only a task of that language can open.
 */
import { deserialize, serialize } from 'node:v8';
import type { CatalogStore } from '../catalog/types.js';
import { safeSegment } from '../util/file-name.js';

export const OBJECTS_FOLDER = '.objects';
const ROOT_BRANCH = '_root';
const EXTENSION = '.v8';

/** An object serialised by another language's task, e.g. a Python pickle: kept as bytes. */
export class ForeignObject {
  constructor(
    readonly format: 'pickle',
    readonly bytes: Uint8Array,
  ) {}
}
const FOREIGN = /\.(pickle)$/;

/** Where a parameter returned in a branch (resolved internal name, '' at the top level) is stored. */
export function objectPath(name: string, branchInternalName: string, extension = EXTENSION): string {
  const branch = branchInternalName ? safeSegment(branchInternalName) : ROOT_BRANCH;
  return `${OBJECTS_FOLDER}/${branch}/${safeSegment(name)}${extension}`;
}

/** Where a run keeps its objects: its catalog, or this process's memory (`object_serialisation: false`). */
export interface ObjectHome {
  catalog: CatalogStore;
  runId: string;
  /**
   * runnable's `object_serialisation: false` (local executor): objects stay in this process as
   * they are, never serialised; the run log still records their reference. Such a run's objects
   * are gone when the process ends, so `retry` cannot read them back (it says so).
   */
  objectsInMemory?: Map<string, unknown>;
}

/** Serialises `value` into the run's catalog; returns the reference to store as the parameter's `value`. */
export async function saveObject(home: ObjectHome, name: string, branchInternalName: string, value: unknown): Promise<string> {
  const { catalog, runId } = home;
  if (home.objectsInMemory) {
    const ref = objectPath(name, branchInternalName, '.memory');
    home.objectsInMemory.set(ref, value);
    return ref;
  }
  if (value instanceof ForeignObject) {
    const ref = objectPath(name, branchInternalName, `.${value.format}`);
    await catalog.writeFile(runId, ref, value.bytes);
    return ref;
  }
  let bytes: Buffer;
  try {
    bytes = serialize(value);
  } catch (e) {
    throw new Error(
      `parameter '${name}' (kind object) cannot be serialised: ${(e as Error).message}. ` +
        'Objects may hold plain data, Map, Set, Date, typed arrays and nested objects, not functions, symbols or promises.',
    );
  }
  const ref = objectPath(name, branchInternalName);
  await catalog.writeFile(runId, ref, bytes);
  return ref;
}

/** Reads back a value saved by saveObject. */
export async function loadObject(home: ObjectHome, ref: string): Promise<unknown> {
  const { catalog, runId } = home;
  if (home.objectsInMemory?.has(ref)) return home.objectsInMemory.get(ref);
  if (ref.endsWith('.memory')) {
    throw new Error(`object parameter '${ref}' of run '${runId}' was kept in the memory of the process that made it (object_serialisation: false) and is gone`);
  }
  const bytes = await catalog.readFile(runId, ref);
  const foreign = FOREIGN.exec(ref);
  if (foreign) return new ForeignObject(foreign[1] as ForeignObject['format'], bytes);
  try {
    return deserialize(bytes);
  } catch (e) {
    throw new Error(`object parameter '${ref}' of run '${runId}' cannot be read back: ${(e as Error).message}`);
  }
}
