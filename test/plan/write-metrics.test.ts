// The SQLite serial write cost that `plan calibrate` records: the time commits hold the write lock,
// read from GET /metrics (polarity_store_write_duration_seconds_sum), per POST. No server: the app
// is built and injected, its store wired to its metrics as src/server.ts wires them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { testConfig } from '../helpers.js';
import { buildApp } from '../../src/http/app.js';
import { parseWriteMetrics, serialWriteUsPerPost, WriteMetricsError } from '../../src/lab/write-metrics.js';
import { SqliteHistoryStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers.js';

// Every other figure of the exposition differs from the store's, so reading the wrong line (the
// requests' duration histogram, the count instead of the sum, the rows) gives another answer.
const exposition = (commitS: number, commits: number, rows: number) => `# HELP http_request_duration_seconds Time from request received to response sent.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{method="POST",route="/analyze",status_code="200",le="+Inf"} 9000
http_request_duration_seconds_sum{method="POST",route="/analyze",status_code="200"} 3.5
http_request_duration_seconds_count{method="POST",route="/analyze",status_code="200"} 9000
# TYPE polarity_store_write_duration_seconds histogram
polarity_store_write_duration_seconds_bucket{le="0.0005"} ${commits}
polarity_store_write_duration_seconds_bucket{le="+Inf"} ${commits}
polarity_store_write_duration_seconds_sum ${commitS}
polarity_store_write_duration_seconds_count ${commits}
# TYPE polarity_store_written_rows_total counter
polarity_store_written_rows_total ${rows}
# TYPE polarity_workers gauge
polarity_workers 1
`;

test('serial write cost: the growth of the commits’ duration sum, per POST of the run', () => {
  const before = parseWriteMetrics(exposition(0.25, 100, 1_000));
  assert.deepEqual(before, { commitS: 0.25, commits: 100, rows: 1_000 });
  // 8,000 POSTs committed in 400 turns, holding the lock 0.05 s in all: 6.25 µs per POST
  const after = parseWriteMetrics(exposition(0.3, 500, 9_000));
  const us = serialWriteUsPerPost(before, after, 8_000);
  assert.ok(Math.abs(us - 6.25) < 1e-9, `${us}`);
  assert.equal(serialWriteUsPerPost(before, after, 0), 0);
  assert.throws(() => serialWriteUsPerPost(after, before, 8_000), WriteMetricsError);
  assert.throws(() => parseWriteMetrics(exposition(0.3, 500, 9_000).replace(/^polarity_store_write_duration_seconds_sum .*$/m, '')), /no polarity_store_write_duration_seconds_sum/);
});

test('serial write cost: the app’s own /metrics carries the figures it is read from', async (t) => {
  const dir = tempDir(t, 'polarity-write-metrics-');
  const dbPath = join(dir, 'history.db');
  let record: ((s: number, rows: number) => void) | undefined;
  const store = new SqliteHistoryStore(dbPath, { onWrite: (s, rows) => record?.(s, rows) });
  const app = await buildApp({ config: testConfig({ dbPath }), store, logger: false });
  t.after(async () => {
    await app.close();
    await store.close();
  });
  record = (s, rows) => app.ctx.metrics.recordWrite(s, rows);
  const read = async () => parseWriteMetrics((await app.inject({ url: '/metrics' })).body);

  const before = await read();
  const posts = 30;
  const answers = await Promise.all(Array.from({ length: posts }, (_, i) => app.inject({ method: 'POST', url: '/analyze', payload: { text: `a fine day number ${i}` } })));
  for (const a of answers) assert.equal(a.statusCode, 200, a.body);
  const after = await read();
  assert.equal(after.rows - before.rows, posts, 'every POST is a committed row');
  assert.ok(after.commits > before.commits && after.commits - before.commits <= posts, `commits: ${before.commits} → ${after.commits}`);
  const us = serialWriteUsPerPost(before, after, posts);
  assert.ok(us > 0 && us < 1e6, `${us} µs per POST`);
  assert.equal(us, ((after.commitS - before.commitS) / posts) * 1e6);
});
