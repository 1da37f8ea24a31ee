// A trivial, fast HTTP server for load-tester benchmarks, which can also fail on purpose:
//
//   node dist/bench/loadtest-fault-server.js --port 18090 [--error-every N] [--drop-every M]
//        [--fault-limit K] [--keep-alive-timeout MS] [--report FILE]
//
// Every request gets a fixed 17-byte JSON body, except: every M-th request (counted over the
// whole server) has its connection destroyed without a response, and every other N-th request is
// answered 500 — until K faults have been injected (then it only answers 200), so that two load
// tests sending more than enough requests meet exactly the same faults. On SIGTERM/SIGINT it writes what it did as JSON (to --report FILE, else stdout):
// {"requests", "errors500", "dropped"}, so a load tester's failure count can be checked against
// the faults actually injected. Listens on 127.0.0.1 only.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '18090' },
    'error-every': { type: 'string', default: '0' },
    'drop-every': { type: 'string', default: '0' },
    'fault-limit': { type: 'string', default: 'Infinity' },
    'keep-alive-timeout': { type: 'string', default: '75000' },
    report: { type: 'string' },
  },
});
const errorEvery = Number(values['error-every']);
const dropEvery = Number(values['drop-every']);
const faultLimit = Number(values['fault-limit']);
const body = '{"sentiment":0.5}';
const counts = { requests: 0, errors500: 0, dropped: 0 };

const server = createServer((req, res) => {
  const n = ++counts.requests;
  req.resume();
  req.on('end', () => {
    const faultsLeft = counts.dropped + counts.errors500 < faultLimit;
    if (faultsLeft && dropEvery > 0 && n % dropEvery === 0) {
      counts.dropped++;
      req.socket.destroy();
      return;
    }
    if (faultsLeft && errorEvery > 0 && n % errorEvery === 0) {
      counts.errors500++;
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = Number(values['keep-alive-timeout']);
server.headersTimeout = Math.max(server.keepAliveTimeout + 1000, 60_000);
server.requestTimeout = 0;
server.maxHeadersCount = 100;
// A deep accept queue: hundreds of users connect in the same millisecond when a batch spawns.
server.listen({ port: Number(values.port), host: '127.0.0.1', backlog: 4096 }, () => process.stderr.write(`fault server on http://127.0.0.1:${values.port}\n`));

function done(): void {
  const text = JSON.stringify(counts) + '\n';
  if (values.report) writeFileSync(values.report, text);
  else process.stdout.write(text);
  process.exit(0);
}
process.on('SIGTERM', done);
process.on('SIGINT', done);
