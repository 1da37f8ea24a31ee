// PostgreSQL for tests: a reachable server, and a throw-away schema per test.
import pg from 'pg';

/** PostgreSQL for tests: POLARITY_TEST_PG_URL, else the local server CI starts. */
export const PG_URL = process.env['POLARITY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function pgAvailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL not reachable at ${PG_URL} (${(err as Error).message}): PostgreSQL store tests skipped`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Each store gets its own throw-away schema in the test database. */
export async function pgSchema(): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `polarity_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
