/**
 * Run ids (SPEC §1): generated ones are readable, unique and safe both as a file name and as a
 * Kubernetes object name; user-given ones (`--run-id`, RUNNABLE_RUN_ID) are checked to be safe
 * as a path segment, since stores and catalogs use them as folder and file names.
 */
import { randomInt } from 'node:crypto';
import { RunnableError } from '../errors.js';

// Lowercase ASCII only and at most 12 characters each, so every id fits the Kubernetes
// DNS-label rule (<= 63 chars, [a-z0-9-], starts with a letter) with room to spare.
const ADJECTIVES = [
  'agile', 'amber', 'ancient', 'bold', 'brave', 'bright', 'brisk', 'calm', 'clever', 'cosmic',
  'crisp', 'curious', 'daring', 'deft', 'eager', 'earnest', 'elated', 'epic', 'fabled', 'fancy',
  'fearless', 'gentle', 'gleaming', 'golden', 'happy', 'hardy', 'humble', 'jolly', 'keen', 'kind',
  'lively', 'lucid', 'lucky', 'merry', 'mighty', 'nimble', 'noble', 'patient', 'placid', 'plucky',
  'quick', 'quiet', 'radiant', 'serene', 'sharp', 'steady', 'sunny', 'swift', 'vivid', 'witty',
];
const SCIENTISTS = [
  'agnesi', 'archimedes', 'babbage', 'bohr', 'boole', 'cantor', 'curie', 'darwin', 'dirac', 'euclid',
  'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'germain', 'goodall',
  'hopper', 'hubble', 'hypatia', 'joule', 'kepler', 'lamarr', 'laplace', 'leibniz', 'lovelace', 'maxwell',
  'meitner', 'mendel', 'newton', 'noether', 'pascal', 'pasteur', 'planck', 'ramanujan', 'riemann', 'sagan',
  'salk', 'shannon', 'somerville', 'tesla', 'turing', 'volta', 'wallace', 'watt', 'wiles', 'yalow',
];

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
/**
 * Six random base36 characters (~2.2e9 values) on top of 2,500 word pairs and the time: even
 * 10,000 ids generated in the same second collide with probability ~1e-5 (four characters
 * would make that ~1%, too often for comfort).
 */
const RANDOM_CHARS = 6;

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;
const two = (n: number): string => String(n).padStart(2, '0');

/** `<adjective>-<scientist>-<HHMMSS>-<6 random base36>`, e.g. `brave-curie-142305-k3x9a2`; local time, as runnable does. */
export function generateRunId(now: Date = new Date()): string {
  const time = `${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  let suffix = '';
  for (let i = 0; i < RANDOM_CHARS; i++) suffix += BASE36[randomInt(36)];
  return `${pick(ADJECTIVES)}-${pick(SCIENTISTS)}-${time}-${suffix}`;
}

const USER_RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const MAX_RUN_ID_LENGTH = 128;

/**
 * A user-given run id must be one safe path segment: letters, digits, `-`, `_`, `.`, not starting
 * with `.` (hidden files, `..`) or `-` (read as a command-line option), at most 128 characters.
 * Note: ids with uppercase letters, `_` or `.` are valid here but are not Kubernetes names;
 * executors that name Kubernetes objects after the run must derive a name from them.
 */
export function validateRunId(id: string): void {
  const problem =
    id.length === 0
      ? 'it is empty'
      : id.length > MAX_RUN_ID_LENGTH
        ? `it is longer than ${MAX_RUN_ID_LENGTH} characters`
        : id.startsWith('.') || id.startsWith('-')
          ? `it starts with '${id[0]}'`
          : !USER_RUN_ID.test(id)
            ? 'it may contain only letters, digits, "-", "_" and "."'
            : undefined;
  if (problem) {
    throw new RunnableError('E_RUN_ID', `invalid run id '${id}': ${problem}`);
  }
}
