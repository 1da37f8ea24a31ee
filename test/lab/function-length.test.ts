// docs/architecture.md and issue #18: no function in src/ (the lab included) is longer than 80
// lines, so that every top-level function reads like the steps it takes. A function's length runs
// from the line it starts on to its closing brace, the functions nested in it included: a Fastify
// plugin or a closure-heavy driver counts whole. Counted on the TypeScript syntax tree, so
// comments, strings and template literals cannot fool it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from '../helpers.js';

export const MAX_FUNCTION_LINES = 80;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
}

/** A function's own name, or the name it is assigned to (`const inner = () => …`). */
function nameOf(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText(file);
  return '(anonymous)';
}

/** Every function with a body in `source` longer than `max` lines: "file:line name (n lines)". */
export function longFunctions(fileName: string, source: string, max: number): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.end).line;
      const lines = last - first + 1;
      const name = nameOf(node, file);
      if (lines > max) found.push(`${fileName}:${first + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

test('the counter finds a long function, nested or not, and passes short ones', () => {
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const long = `export function outer(): void {\n${body(10)}\n  const inner = (): void => {\n${body(85)}\n  };\n  inner();\n}\n`;
  const found = longFunctions('x.ts', long, MAX_FUNCTION_LINES);
  assert.deepEqual(
    found.map((f) => f.replace(/\(\d+ lines\)/, '')),
    ['x.ts:1 outer ', 'x.ts:12 inner '],
  );
  assert.deepEqual(longFunctions('y.ts', `class A {\n  m(): number {\n${body(70)}\n    return 1;\n  }\n}\n`, MAX_FUNCTION_LINES), []);
});

test(`no function in src/ is longer than ${MAX_FUNCTION_LINES} lines`, () => {
  const found = tsFiles(join(ROOT, 'src')).flatMap((f) => longFunctions(relative(ROOT, f), readFileSync(f, 'utf8'), MAX_FUNCTION_LINES));
  assert.deepEqual(found, []);
});
