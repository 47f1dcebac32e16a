/**
 * Text from run logs, file names and the command line, made safe to echo on a terminal: control
 * characters (C0 but newline where a message may span lines, DEL, C1) and the invisible
 * format characters that reorder or hide text (bidi overrides, zero-width, line separators)
 * become visible escapes (`\x1b`, `\u202e`). Otherwise a tag or a run-log field could move the
 * cursor, clear the screen or forge lines of `runs list`.
 */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const UNSAFE_WITH_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line: every control character escaped, newlines and tabs included. */
export function printable(text: string): string {
  return text.replace(UNSAFE_WITH_NEWLINE, escape);
}

/** Several lines: as printable, but newlines kept. */
export function printableLines(text: string): string {
  return text.replace(UNSAFE, escape);
}
