import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../src/config.js';

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

test('invalid values are refused with a message naming the option', () => {
  const bad: [Record<string, string>, string[], RegExp][] = [
    [{}, ['--port', '-1'], /port/],
    [{ PORT: '3.5' }, [], /port must be a whole number/],
    [{ BODY_LIMIT: '10' }, [], /body-limit must be between/],
    [{ LOG_LEVEL: 'loud' }, [], /log-level must be one of/],
    [{ DATABASE_URL: 'postgres://u@h/db' }, [], /PostgreSQL store is not available/],
    [{ DATABASE_URL: 'sqlite:' }, [], /needs a file path/],
    [{}, ['extra-positional'], /Unexpected argument/],
  ];
  for (const [env, argv, message] of bad) {
    assert.throws(() => loadConfig(env, argv), (e: unknown) => e instanceof ConfigError && message.test(e.message), `${JSON.stringify(env)} ${argv}`);
  }
});

test('the admin token is masked when the configuration is printed', () => {
  const c = loadConfig({ ADMIN_TOKEN: 'a-very-secret-token-123' }, []);
  assert.equal(c.adminToken, 'a-very-secret-token-123');
  assert.doesNotMatch(JSON.stringify(describeConfig(c)), /very-secret/);
});
