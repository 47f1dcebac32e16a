/** Exit even if a step left handles open, once stdout has drained (as bin/runnable.js does). */
export function exitWhenDrained(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
