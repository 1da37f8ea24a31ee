// How a SQLite store reaches its writer. One process: its own writer thread. Cluster workers: the
// primary's single writer thread, over IPC — several processes each with a writer would contend
// for SQLite's one write lock, and its busy handler waits by sleeping (milliseconds per retry).
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { Worker } from 'node:worker_threads';
import type { WriteReply, WriteRequest } from './sqlite-writer.js';

export interface WriterLink {
  send(message: WriteRequest): void;
  /** Keep the process alive while writes are in flight (ref), or not (unref). */
  hold(on: boolean): void;
  close(): Promise<void>;
}

const WRITER_SCRIPT = new URL('./sqlite-writer.js', import.meta.url);

/** A writer thread of this process; `onExit` hears if it dies unexpectedly. */
export function threadWriter(path: string, sync: 'full' | 'normal', onReply: (r: WriteReply) => void, onExit: () => void): WriterLink {
  const thread = new Worker(WRITER_SCRIPT, { workerData: { path, sync } });
  let closing = false;
  thread.unref();
  thread.on('message', onReply);
  thread.on('error', () => {});
  thread.on('exit', () => {
    if (!closing) onExit();
  });
  return {
    send: (m) => thread.postMessage(m),
    hold: (on) => (on ? thread.ref() : thread.unref()),
    close: async () => {
      closing = true;
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.ref();
      thread.postMessage('close');
      await exited;
    },
  };
}

type IpcMessage = { type: 'sqlite-write'; message: WriteRequest } | { type: 'sqlite-written'; reply: WriteReply };

/** In a cluster worker: the primary's writer (see hostClusterWriter). */
export function ipcWriter(onReply: (r: WriteReply) => void): WriterLink {
  const listener = (msg: IpcMessage) => {
    if (msg?.type === 'sqlite-written') onReply(msg.reply);
  };
  process.on('message', listener);
  return {
    send: (message) => process.send!({ type: 'sqlite-write', message } satisfies IpcMessage),
    hold: () => {}, // the IPC channel keeps a cluster worker alive anyway
    close: async () => {
      process.removeListener('message', listener);
    },
  };
}

/**
 * In the cluster primary: one writer thread for every worker's inserts. Requests from all workers
 * queue at the thread and share its transactions; each reply goes back to the worker that asked.
 */
export function hostClusterWriter(path: string, sync: 'full' | 'normal'): { close(): Promise<void> } {
  let seq = 0;
  const waiting = new Map<number, { worker: ClusterWorker; seq: number }>();
  let link: WriterLink;
  const start = () => {
    link = threadWriter(
      path,
      sync,
      (reply) => {
        const to = waiting.get(reply.seq);
        waiting.delete(reply.seq);
        if (to && to.worker.isConnected()) to.worker.send({ type: 'sqlite-written', reply: { ...reply, seq: to.seq } } satisfies IpcMessage);
      },
      () => {
        // The thread died: fail what it held, start another.
        for (const [, to] of waiting) if (to.worker.isConnected()) to.worker.send({ type: 'sqlite-written', reply: { seq: to.seq, error: 'the SQLite writer thread stopped' } } satisfies IpcMessage);
        waiting.clear();
        start();
      },
    );
    link.hold(true);
  };
  start();
  const onMessage = (worker: ClusterWorker, msg: IpcMessage) => {
    if (msg?.type !== 'sqlite-write') return;
    const global = ++seq;
    waiting.set(global, { worker, seq: msg.message.seq });
    link.send({ ...msg.message, seq: global });
  };
  cluster.on('message', onMessage);
  return {
    close: async () => {
      cluster.removeListener('message', onMessage);
      await link.close();
    },
  };
}
