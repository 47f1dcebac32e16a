/** The failure message of a task stopped through its AbortSignal. */
export function abortMessage(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const why = r instanceof Error ? r.message : typeof r === 'string' ? r : '';
  // The default reason ("This operation was aborted") adds nothing to "aborted".
  return why && !/aborted/i.test(why) ? `aborted: ${why}` : 'aborted';
}
