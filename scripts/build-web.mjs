// Builds the web UI: web/ → dist/web/ (served from memory by src/http/web.ts).
//  1. type-checks web/ (tsc -p web/tsconfig.json --noEmit): a type error fails the build;
//  2. bundles and minifies web/src/main.ts and web/app.css with esbuild;
//  3. names each asset by its content hash (app-<hash>.js), which the server caches for a year,
//     and writes index.html (revalidated on every load) pointing at them by relative URL.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const out = join(root, 'dist', 'web');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', join(web, 'tsconfig.json'), '--noEmit'], { stdio: 'inherit' });
if (check.status !== 0) {
  console.error('build-web: type errors in web/ (see above)');
  process.exit(1);
}

// Browsers from 2023 on: the highlighter uses RegExp look-behind and \p{L} (Safari 16.4).
const target = ['chrome111', 'edge111', 'firefox113', 'safari16.4'];
const common = { bundle: true, minify: true, write: false, logLevel: 'warning', legalComments: 'none', target };
const [js, css] = await Promise.all([esbuild.build({ ...common, entryPoints: [join(web, 'src', 'main.ts')], format: 'esm' }), esbuild.build({ ...common, entryPoints: [join(web, 'app.css')] })]);

/** app.js + contents → app-1a2b3c4d.js */
function fingerprint(name, body) {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

const assets = {
  'app.js': js.outputFiles[0].contents,
  'app.css': css.outputFiles[0].contents,
  'icon.svg': readFileSync(join(web, 'icon.svg')),
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let html = readFileSync(join(web, 'index.html'), 'utf8');
const report = [];
for (const [name, body] of Object.entries(assets)) {
  const file = fingerprint(name, body);
  writeFileSync(join(out, file), body);
  html = html.replaceAll(`{{${name}}}`, `./${file}`);
  report.push(`${file} ${body.length} B (${gzipSync(body, { level: 9 }).length} B gzip)`);
}
const missing = /\{\{[^}]*\}\}/.exec(html);
if (missing) {
  console.error(`build-web: index.html refers to an unknown asset ${missing[0]}`);
  process.exit(1);
}
writeFileSync(join(out, 'index.html'), html);
report.push(`index.html ${Buffer.byteLength(html)} B`);
console.log(`build-web: dist/web/\n  ${report.join('\n  ')}`);
