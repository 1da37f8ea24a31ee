// The reference for bench/http: the least a Node.js HTTP server can do — read the request,
// answer a fixed 17-byte JSON body — in one process.
import { createServer } from 'node:http';

const body = '{"sentiment":0.5}';
const port = Number(process.argv[2] ?? 18080);

createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
})
  .listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
