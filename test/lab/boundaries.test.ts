// The direction of dependencies (docs/architecture.md): src/ is the product and imports nothing
// from test/, bench/ or scripts/; bench/ never imports from test/. The first is enforced by the
// build (tsconfig.build.json's rootDir "src", the first step of `npm run build`), which this checks
// on a copy of the two tsconfig files: a module of src/ that imports from test/ fails to compile.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.js';

function compileProduct(dir: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json'), '--noEmit'], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('the product build fails when src/ imports from test/, and passes without it', { timeout: 240_000 }, (t) => {
  const dir = tempDir(t, 'polarity-boundary-');
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(ROOT, f), join(dir, f));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'test/fixture.ts'), 'export const fromTest = 1;\n');
  writeFileSync(join(dir, 'src/product.ts'), "import { fromTest } from '../test/fixture.js';\nexport const product = fromTest + 1;\n");
  const wrong = compileProduct(dir);
  assert.notEqual(wrong.status, 0, 'src importing test/ must not compile');
  assert.match(wrong.output, /TS6059|is not under 'rootDir'/, wrong.output);
  writeFileSync(join(dir, 'src/product.ts'), 'export const product = 2;\n');
  const right = compileProduct(dir);
  assert.equal(right.status, 0, right.output);
});

/** The relative modules a TypeScript file imports (static and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

test('bench/ never imports from test/; src/ never from test/, bench/ or scripts/', () => {
  const offending: string[] = [];
  for (const file of tsFiles(join(ROOT, 'bench'))) for (const m of importsOf(file)) if (/^(\.\.\/)+test\//.test(m)) offending.push(`${file}: ${m}`);
  for (const file of tsFiles(join(ROOT, 'src'))) for (const m of importsOf(file)) if (/^(\.\.\/)+(test|bench|scripts)\//.test(m)) offending.push(`${file}: ${m}`);
  assert.deepEqual(offending, []);
});
