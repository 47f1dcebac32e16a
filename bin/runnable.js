#!/usr/bin/env node
// The bundled command line (scripts/bundle.mjs, made by `npm run build`).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const internalError = (err) => {
  process.stderr.write(`runnable: internal error: ${String(err?.message ?? err).split('\n')[0]}\n`);
  process.exit(1);
};
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // answered before anything of the command line loads: what scripts ask first, and often
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main, awaitCommand } = await import('../dist/bundle/runnable.mjs');
  // a step process started ahead of its step (emulate): its command line comes on a pipe
  const args = argv[0] === '--await-command' ? await awaitCommand(argv.slice(1)).catch(internalError) : argv;
  if (!args) process.exit(0);
  main(args).then(
    (code) => {
      // Exit even if a user's step left timers or handles open; let stdout drain first.
      process.stdout.write('', () => process.exit(code));
    },
    // main() reports its own errors; this is only for a failure to report one
    internalError,
  );
}
