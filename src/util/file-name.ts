/**
 * File names from any text (step internal names, which hold map items): always one path
 * segment, always under the file-name limit (255 bytes on most file systems, with room for a
 * temporary's prefix and suffix), and never two texts to one name.
 */
import { createHash } from 'node:crypto';

/** bytes a derived segment may take */
export const MAX_SEGMENT = 120;

/**
 * `text` as one path segment, injectively: characters other than [A-Za-z0-9_.-] become `%XX`
 * (UTF-8 bytes) — `%` itself included. A leading dot is escaped too, so a segment is never
 * hidden, `.` or `..`. Beyond `max` bytes: a readable head and a hash of the whole text.
 */
export function safeSegment(text: string, max = MAX_SEGMENT): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(ch) && !(out === '' && ch === '.') ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return capLength(out, text, max);
}

/** `segment` (ASCII) if it fits in `max` bytes, else its head, `~` and 16 hex digits of sha256(`whole`) */
export function capLength(segment: string, whole: string, max = MAX_SEGMENT): string {
  if (segment.length <= max) return segment;
  return `${segment.slice(0, max - 17)}~${createHash('sha256').update(whole).digest('hex').slice(0, 16)}`;
}
