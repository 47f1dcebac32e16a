/** Command lines as sh words: for a generated script (Slurm's job.sh) and for showing a command to a person. */

/** A string as one word for sh: single-quoted, inner quotes as '\'' */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `file args` as a person would type it (words of safe characters bare, the others quoted); for display only. */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : shQuote(w))).join(' ');
}
