import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, describeConfig, describeDatabase, loadConfig } from '../src/config.js';

test('defaults', () => {
  const c = loadConfig({}, []);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 3000);
  assert.equal(c.dbPath, './data/polarity.db');
  assert.equal(c.workers, availableParallelism());
  assert.equal(c.bodyLimit, 65536);
  assert.equal(c.maxTextChars, 20000);
  assert.equal(c.batchMax, 100);
  assert.deepEqual(c.corsOrigins, []);
  assert.equal(c.adminToken, undefined);
  assert.equal(c.sqliteSync, 'normal', 'WAL without an fsync per commit unless asked otherwise');
  assert.equal(loadConfig({ SQLITE_SYNC: 'full' }, []).sqliteSync, 'full');
  assert.ok(c.keepAliveTimeoutMs >= 65_000, 'keep-alive outlasts a 1-5 s think time and common 60 s LB idle timeouts');
  assert.ok(Object.isFrozen(c));
});

test('flags win over environment; environment over defaults', () => {
  const env = { PORT: '4000', HOST: '0.0.0.0', WORKERS: '3', DB_PATH: '/tmp/env.db', CORS_ORIGINS: 'https://a.example, https://b.example' };
  assert.equal(loadConfig(env, []).port, 4000);
  assert.equal(loadConfig(env, ['--port', '5000']).port, 5000);
  assert.equal(loadConfig(env, []).host, '0.0.0.0');
  assert.equal(loadConfig(env, []).workers, 3);
  assert.equal(loadConfig(env, []).dbPath, '/tmp/env.db');
  assert.equal(loadConfig(env, ['--db', 'x.db']).dbPath, 'x.db');
  assert.deepEqual(loadConfig(env, []).corsOrigins, ['https://a.example', 'https://b.example']);
  assert.equal(loadConfig({ DATABASE_URL: 'sqlite:./d/h.db' }, []).dbPath, './d/h.db');
  assert.equal(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/p.db' }, []).dbPath, '/var/lib/p.db');
});

test('PostgreSQL URL and retention caps', () => {
  const c = loadConfig({ DATABASE_URL: 'postgres://polarity:pw@db.internal:5432/polarity', HISTORY_MAX_ROWS: '1000000', HISTORY_MAX_AGE: '30d' }, []);
  assert.equal(c.databaseUrl, 'postgres://polarity:pw@db.internal:5432/polarity');
  assert.equal(c.historyMaxRows, 1_000_000);
  assert.equal(c.historyMaxAgeMs, 30 * 86_400_000);
  assert.doesNotMatch(JSON.stringify(describeConfig(c)), /pw@/, 'the password is masked');
  assert.equal(describeDatabase(c), 'PostgreSQL postgres://polarity:***@db.internal:5432/polarity');
  assert.equal(loadConfig({}, ['--history-max-age', '90m']).historyMaxAgeMs, 90 * 60_000);
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }, ['--db', 'x.db']).databaseUrl, undefined, '--db wins');
  assert.equal(loadConfig({}, []).historyMaxRows, undefined);
});

test('a password in the query string (?password=, ?sslpassword=) is masked too, the rest of the URL kept', () => {
  const table: [string, string][] = [
    ['postgres://polarity@db.internal/polarity?password=s3cret&sslmode=verify-full', 'PostgreSQL postgres://polarity@db.internal/polarity?password=***&sslmode=verify-full'],
    ['postgres://db.internal/polarity?user=polarity&PASSWORD=s3cret', 'PostgreSQL postgres://db.internal/polarity?user=polarity&PASSWORD=***'],
    ['postgres://u:a@db/p?sslkey=/k&sslpassword=s3cret', 'PostgreSQL postgres://u:***@db/p?sslkey=/k&sslpassword=***'],
    ['postgres://polarity@db/p?password=s%26cr%3Det', 'PostgreSQL postgres://polarity@db/p?password=***'],
  ];
  for (const [url, shown] of table) {
    const c = loadConfig({ DATABASE_URL: url }, []);
    assert.equal(describeDatabase(c), shown);
    assert.doesNotMatch(JSON.stringify(describeConfig(c)), /s3cret|s%26cr/, url);
  }
});

test('invalid values are refused with a message naming the option', () => {
  const bad: [Record<string, string>, string[], RegExp][] = [
    [{}, ['--port', '-1'], /port/],
    [{ PORT: '3.5' }, [], /port must be a whole number/],
    [{ BODY_LIMIT: '10' }, [], /body-limit must be between/],
    [{ LOG_LEVEL: 'loud' }, [], /log-level must be one of/],
    [{ DATABASE_URL: 'mysql://u@h/db' }, [], /must start with postgres:\/\/, postgresql:\/\/ or sqlite:/],
    [{ HISTORY_MAX_AGE: '10 days' }, [], /history-max-age must be a number with a unit/],
    [{ SQLITE_SYNC: 'off' }, [], /sqlite-sync must be full or normal/],
    [{ HISTORY_MAX_ROWS: '0' }, [], /history-max-rows must be between 1/],
    [{ DATABASE_URL: 'sqlite:' }, [], /needs a file path/],
    [{}, ['extra-positional'], /Unexpected argument/],
  ];
  for (const [env, argv, message] of bad) {
    assert.throws(
      () => loadConfig(env, argv),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      `${JSON.stringify(env)} ${argv}`,
    );
  }
});

test('the admin token is masked when the configuration is printed', () => {
  const c = loadConfig({ ADMIN_TOKEN: 'a-very-secret-token-123' }, []);
  assert.equal(c.adminToken, 'a-very-secret-token-123');
  assert.doesNotMatch(JSON.stringify(describeConfig(c)), /very-secret/);
});
