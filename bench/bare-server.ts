// The reference for bench/http: the least a Node.js HTTP server can do — read the request,
// answer a fixed JSON body — in one process. With a bodies file ({"POST /analyze": "...",
// "GET /history": "..."}) it answers each route with a body of the same size as Polarity's, so
// the comparison measures our code, not the bytes the kernel must copy.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 18080);
const bodies: Record<string, string> = process.argv[3] ? JSON.parse(readFileSync(process.argv[3], 'utf8')) : {};
const fallback = '{"sentiment":0.5}';

createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = bodies[`${req.method} ${req.url}`] ?? fallback;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
