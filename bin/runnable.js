#!/usr/bin/env node
// The bundled command line (scripts/bundle.mjs, made by `npm run build`).
import { main } from '../dist/bundle/runnable.mjs';

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
