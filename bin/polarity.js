#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli.ts by `npm run build` (run by `npm ci` via `prepare`).
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 1; },
);
