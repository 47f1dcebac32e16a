#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    // Exit even if a user's step left timers or handles open; let stdout drain first.
    process.stdout.write('', () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`runnable: internal error: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
