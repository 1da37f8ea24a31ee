// The SQLite writer thread. A commit with synchronous=FULL waits for fsync; doing it here keeps
// the event loop serving requests meanwhile. Every request message that arrives while a commit
// runs joins the next transaction (group commit), and each gets its own reply, after COMMIT.
// Messages: {seq, rows} in, {seq, ids} or {seq, error} out; 'close' ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface WriteRequest {
  seq: number;
  rows: { text: string; sentiment: number; subjectivity: number; createdAt: number }[];
}

export type WriteReply = { seq: number; ids: number[] } | { seq: number; error: string };

const { path, sync } = workerData as { path: string; sync: 'full' | 'normal' };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma(sync === 'normal' ? 'synchronous = NORMAL' : 'synchronous = FULL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO analyses (text, sentiment, subjectivity, created_at) VALUES (?, ?, ?, ?)');
const write = db.transaction((batch: WriteRequest[]) =>
  batch.map((m) => m.rows.map((r) => Number(insert.run(r.text, r.sentiment, r.subjectivity, r.createdAt).lastInsertRowid))),
);

let queue: WriteRequest[] = [];
let scheduled = false;
let closing = false;

function commit(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length > 0) {
    try {
      const ids = write.immediate(batch);
      batch.forEach((m, i) => parentPort!.postMessage({ seq: m.seq, ids: ids[i]! } satisfies WriteReply));
    } catch (err) {
      for (const m of batch) parentPort!.postMessage({ seq: m.seq, error: (err as Error).message } satisfies WriteReply);
    }
  }
  if (closing) {
    db.close();
    parentPort!.close();
  }
}

parentPort!.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') closing = true;
  else queue.push(msg);
  if (!scheduled) {
    scheduled = true;
    setImmediate(commit);
  }
});
