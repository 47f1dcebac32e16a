#!/usr/bin/env node
// The bundled command line (scripts/bundle.mjs, made by `npm run build`).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // answered before anything of the command line loads: what scripts ask first, and often
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/bundle/runnable.mjs');
  main(argv).then(
    (code) => {
      // Exit even if a user's step left timers or handles open; let stdout drain first.
      process.stdout.write('', () => process.exit(code));
    },
    // main() reports its own errors; this is only for a failure to report one
    (err) => {
      process.stderr.write(`runnable: internal error: ${String(err?.message ?? err).split('\n')[0]}\n`);
      process.exit(1);
    },
  );
}
