/** Secret values masked in text shown to people (logs, messages, reports, traces). */
export const SECRET_MASK = '***';

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join(SECRET_MASK);
  return out;
}
