// The per-user HTTP/1.1 client against real sockets on 127.0.0.1: body framings, keep-alive reuse,
// a connection the server closed while idle (replaced silently, as urllib3 does), and the failures
// Locust records with the same error text.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpConnection, prepareRequest, type Target } from '../../src/loadtest/http-client.js';
import { parseScenario } from '../../src/loadtest/scenario.js';

async function listen(t: TestContext, server: Server | HttpServer): Promise<Target> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    (server as HttpServer).closeAllConnections?.();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  return { baseUrl: `http://127.0.0.1:${port}`, address: '127.0.0.1', port, hostHeader: `127.0.0.1:${port}` };
}

function req(target: Target, method: string, path: string, json?: unknown) {
  const doc = { tasks: [{ method, path, ...(json === undefined ? {} : { json }) }] };
  return prepareRequest(target, parseScenario(doc).tasks[0]!);
}

function send(conn: HttpConnection, prepared: ReturnType<typeof req>) {
  return new Promise<{ status: number; reason: string; bodyBytes: number; error: string | null }>((resolve) =>
    conn.send(prepared, (status, reason, bodyBytes, error) => resolve({ status, reason, bodyBytes, error })),
  );
}

/** A raw TCP server answering each request with `reply(n)` written in the given pieces. */
function rawServer(reply: (n: number, socket: Socket) => void): Server {
  let n = 0;
  return createNetServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const end = buf.indexOf('\r\n\r\n') + 4;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + len) return;
        buf = buf.slice(end + len);
        reply(n++, socket);
      }
    });
  });
}

async function writeSlowly(socket: Socket, text: string, piece = 3): Promise<void> {
  for (let i = 0; i < text.length; i += piece) {
    socket.write(text.slice(i, i + piece), 'latin1');
    await sleep(1);
  }
}

test('sends the request bytes Locust sends for json= and reads Content-Length bodies over one kept-alive connection', async (t) => {
  let connections = 0;
  const seen: string[] = [];
  const server = createHttpServer((rq, rs) => {
    let body = '';
    rq.on('data', (d) => (body += d));
    rq.on('end', () => {
      seen.push(`${rq.method} ${rq.url} ${rq.headers['content-type']} ${rq.headers['content-length']} ${body}`);
      rs.writeHead(200, { 'content-type': 'application/json' });
      rs.end('{"sentiment":0.5}');
    });
  });
  server.on('connection', () => connections++);
  const target = await listen(t, server);
  const conn = new HttpConnection(target);
  const post = req(target, 'POST', '/analyze', { text: 'This is a test text for sentiment analysis.' });
  for (let i = 0; i < 5; i++) assert.deepEqual(await send(conn, post), { status: 200, reason: 'OK', bodyBytes: 17, error: null });
  conn.close();
  assert.equal(connections, 1, 'one connection for all requests');
  const body = '{"text": "This is a test text for sentiment analysis."}';
  assert.equal(seen[0], `POST /analyze application/json ${body.length} ${body}`);
});

test('chunked bodies (with extensions and trailers), interim 100 responses and byte-by-byte delivery', async (t) => {
  const server = rawServer((n, socket) => {
    const responses = [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0a\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 204 No Content\r\n\r\n',
      'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n',
    ];
    void writeSlowly(socket, responses[n % responses.length]!);
  });
  const target = await listen(t, server);
  const conn = new HttpConnection(target);
  const get = req(target, 'GET', '/history');
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 15, error: null });
  assert.deepEqual(await send(conn, get), { status: 201, reason: 'Created', bodyBytes: 3, error: null });
  assert.deepEqual(await send(conn, get), { status: 204, reason: 'No Content', bodyBytes: 0, error: null });
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 0, error: null });
  conn.close();
});

test('Connection: close and bodies read until close are complete responses; the next request reconnects', async (t) => {
  let connections = 0;
  const server = rawServer((n, socket) => {
    if (n % 2 === 0) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    else void writeSlowly(socket, 'HTTP/1.0 200 OK\r\n\r\nuntil-close').then(() => socket.end());
  });
  server.on('connection', () => connections++);
  const target = await listen(t, server);
  const conn = new HttpConnection(target);
  const get = req(target, 'GET', '/');
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 2, error: null });
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 11, error: null });
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 2, error: null });
  conn.close();
  assert.equal(connections, 3);
});

test('a connection the server closed while idle is replaced without a failure (urllib3 does the same)', async (t) => {
  let connections = 0;
  // Like a server's keep-alive timeout: the connection is closed 50 ms after each response.
  const server = rawServer((_n, socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    setTimeout(() => socket.end(), 50);
  });
  server.on('connection', () => connections++);
  const target = await listen(t, server);
  const conn = new HttpConnection(target);
  const get = req(target, 'GET', '/history');
  assert.equal((await send(conn, get)).error, null);
  await sleep(200);
  assert.deepEqual(await send(conn, get), { status: 200, reason: 'OK', bodyBytes: 2, error: null });
  conn.close();
  assert.equal(connections, 2);
});

test("failures carry Locust's error text: no response, reset, refused, HTTP status", async (t) => {
  const server = rawServer((n, socket) => {
    if (n === 0)
      socket.destroy(); // closed without a response
    else if (n === 1)
      socket.resetAndDestroy(); // RST
    else if (n === 2)
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', () => socket.destroy()); // body cut short
    else socket.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}');
  });
  const target = await listen(t, server);
  const conn = new HttpConnection(target);
  const get = req(target, 'GET', '/history');
  assert.equal((await send(conn, get)).error, "RemoteDisconnected('Remote end closed connection without response')");
  assert.equal((await send(conn, get)).error, "ConnectionResetError(104, 'Connection reset by peer')");
  assert.match((await send(conn, get)).error!, /^ChunkedEncodingError\(ProtocolError\('Connection broken: IncompleteRead\(3 bytes read\)'\)\)$/);
  // The status is passed on; the runner turns >= 400 into HTTPError(...).
  assert.deepEqual(await send(conn, get), { status: 500, reason: 'Internal Server Error', bodyBytes: 2, error: null });
  conn.close();

  const closed = createNetServer();
  const gone = await listen(t, closed);
  await new Promise((r) => closed.close(r));
  const refused = new HttpConnection(gone);
  assert.equal((await send(refused, req(gone, 'GET', '/'))).error, "ConnectionRefusedError(111, 'Connection refused')");
});
