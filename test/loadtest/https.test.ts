// https targets: against a local TLS server with a self-signed certificate (made here with openssl),
// --insecure is needed and then every request succeeds; without it every request fails with the
// SSLError Locust would record. Skipped, saying why, where openssl is missing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runLoadtest } from '../../src/loadtest/cli.js';
import { sink } from './helpers.js';

const OPENSSL = '/usr/bin/openssl';

async function tlsServer(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'polarity-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  let requests = 0;
  let encrypted = 0;
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    requests++;
    if ((req.socket as { encrypted?: boolean }).encrypted) encrypted++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 17 }).end('{"sentiment":0.5}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, encrypted: () => encrypted };
}

test('https with a self-signed certificate: --insecure runs it; without, every request fails with an SSLError', {
  skip: existsSync(OPENSSL) ? false : `${OPENSSL} not installed: https test skipped`,
}, async (t) => {
  const server = await tlsServer(t);
  const out = sink();
  const code = await runLoadtest(['--host', server.url, '--insecure', '--max', '--connections', '3', '-t', '700ms', '--max-requests', '300', '-q', '--json'], {
    stdout: out.stream,
    stderr: sink().stream,
  });
  const r = JSON.parse(out.text());
  assert.equal(code, 0, JSON.stringify(r.failureList));
  assert.equal(r.failures, 0);
  assert.ok(r.requests > 10, `requests: ${r.requests}`);
  assert.equal(r.requests, server.requests());
  assert.equal(server.encrypted(), server.requests(), 'every request went over TLS');
  assert.equal(r.parameters.host, server.url);

  const before = server.requests();
  const out2 = sink();
  const code2 = await runLoadtest(['--host', server.url, '--max', '--connections', '2', '-t', '300ms', '--max-requests', '20', '-q', '--json'], { stdout: out2.stream, stderr: sink().stream });
  const r2 = JSON.parse(out2.text());
  assert.equal(code2, 1);
  assert.ok(r2.failures > 0 && r2.failures === r2.requests, `${r2.failures} of ${r2.requests} failed`);
  assert.match(r2.failureList[0].error, /^SSLError\('certificate verify failed: /);
  assert.equal(server.requests(), before, 'no request reached the server unverified');
});
