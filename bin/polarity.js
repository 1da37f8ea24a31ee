#!/usr/bin/env node
// The `polarity-server` and `polarity` commands (one program). The CLI is compiled from src/cli.ts:
// an installed package ships it built; a checkout builds it with `npm run build`.
let main;
try {
  ({ main } = await import('../dist/src/cli.js'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/src/cli.js')) throw err;
  console.error('polarity: not built yet (no dist/src/cli.js): run `npm run build` in this checkout');
  process.exit(1);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
