// Removes compiled files under dist/src whose TypeScript source is gone (a renamed or deleted
// module), so `npm pack` never ships a stale module. Only such orphans: dist/ is shared with
// anything running from it (a server, a test run), so it is never wiped.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'src');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const removed = [];
for (const file of existsSync(out) ? walk(out) : []) {
  const m = /^(.*)\.(js|js\.map|d\.ts)$/.exec(relative(out, file));
  if (!m) continue;
  if (!existsSync(join(root, 'src', `${m[1]}.ts`))) {
    rmSync(file);
    removed.push(relative(root, file));
  }
}
if (removed.length > 0) console.log(`prune-dist: removed ${removed.length} file(s) without a source: ${removed.join(', ')}`);
