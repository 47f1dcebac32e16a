#!/usr/bin/env node
// The bundled command line (scripts/bundle.mjs, made by `npm run build`).
import { installLastResort, main } from '../dist/bundle/runnable.mjs';

installLastResort();
main(process.argv.slice(2)).then(
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
