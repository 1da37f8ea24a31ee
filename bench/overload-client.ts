// One load process for bench/overload: opens N raw keep-alive connections to the server at once,
// sends REQUESTS POST /analyze on each (one after another), and prints one JSON line of results.
// Raw sockets, not an HTTP library: 10,000 connections must stay cheap for the client.
// Why not the product's load tester (src/loadtest): the benchmark must open every connection at
// once from a given source address (127.0.0.2–5, so that no address runs out of ports), and it
// checks each acknowledged POST's id and text against the history afterwards — per-request
// records the load tester does not keep (it reports aggregates, as Locust does).
//   node dist/bench/overload-client.js HOST PORT CONNECTIONS REQUESTS LOCAL_ADDRESS
import { connect, type Socket } from 'node:net';

const [host = '127.0.0.1', portRaw = '3000', connRaw = '1000', reqRaw = '2', localAddress = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portRaw);
const connections = Number(connRaw);
const requests = Number(reqRaw);
const DEADLINE_MS = 60_000;

interface Outcome {
  status: number; // 0: connection error or timeout
  ms: number;
  id?: number;
  text: string;
}

const outcomes: Outcome[] = [];
let open = 0;
let maxOpen = 0;

function once(socket: Socket, text: string): Promise<Outcome> {
  const body = JSON.stringify({ text });
  const started = performance.now();
  return new Promise((resolve) => {
    let buf = '';
    const finish = (o: Outcome) => {
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      resolve(o);
    };
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length - head - 4 < len) return;
      const status = Number(buf.slice(9, 12));
      const payload = buf.slice(head + 4, head + 4 + len);
      const id = status === 200 ? (JSON.parse(payload) as { id: number }).id : undefined;
      finish({ status, ms: performance.now() - started, text, ...(id === undefined ? {} : { id }) });
    };
    const onError = () => finish({ status: 0, ms: performance.now() - started, text });
    const onClose = () => finish({ status: 0, ms: performance.now() - started, text });
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(`POST /analyze HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

async function user(i: number): Promise<void> {
  const socket = connect({ host, port, localAddress });
  socket.setNoDelay(true);
  const ok = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  });
  if (!ok) {
    for (let r = 0; r < requests; r++) outcomes.push({ status: 0, ms: 0, text: `${localAddress} c${i} r${r}` });
    return;
  }
  open++;
  maxOpen = Math.max(maxOpen, open);
  for (let r = 0; r < requests; r++) {
    const o = await once(socket, `overload ${localAddress} c${i} r${r}`);
    outcomes.push(o);
    if (o.status === 0) break;
  }
  open--;
  socket.destroy();
}

const timer = setTimeout(() => {
  process.stdout.write(JSON.stringify({ outcomes, maxOpen, timedOut: true }) + '\n');
  process.exit(0);
}, DEADLINE_MS);
await Promise.all(Array.from({ length: connections }, (_, i) => user(i)));
clearTimeout(timer);
process.stdout.write(JSON.stringify({ outcomes, maxOpen, timedOut: false }) + '\n');
