// The SQLite writer thread. A commit with synchronous=FULL waits for fsync; doing it here keeps
// the event loop serving requests meanwhile, and every request that arrives during one commit
// joins the next (group commit). Messages: {seq, rows} in, {seq, ids, createdAt} or {seq, error} out.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface WriteRequest {
  seq: number;
  rows: { text: string; sentiment: number; subjectivity: number; createdAt: number }[];
}

export type WriteReply = { seq: number; ids: number[] } | { seq: number; error: string };

const db = new Database((workerData as { path: string }).path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare('INSERT INTO analyses (text, sentiment, subjectivity, created_at) VALUES (?, ?, ?, ?)');
const write = db.transaction((rows: WriteRequest['rows']) => rows.map((r) => Number(insert.run(r.text, r.sentiment, r.subjectivity, r.createdAt).lastInsertRowid)));

parentPort!.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: WriteReply;
  try {
    reply = { seq: msg.seq, ids: write.immediate(msg.rows) };
  } catch (err) {
    reply = { seq: msg.seq, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
