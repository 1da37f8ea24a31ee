// --host: parsed and resolved once, so that 20,000 connects do not mean 20,000 DNS look-ups.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Target } from './http-client.js';

export class TargetError extends Error {}

export async function resolveTarget(host: string): Promise<Target> {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new TargetError(`--host must be a URL such as http://127.0.0.1:3000 (got ${JSON.stringify(host)})`);
  }
  if (url.protocol !== 'http:') {
    throw new TargetError(`--host must be plain http:// (got ${url.protocol}); run the load tester against the server or the load balancer, behind any TLS terminator`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new TargetError('--host is scheme, host and port only; paths belong in the scenario');
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 80 : Number(url.port);
  let address = hostname;
  if (isIP(hostname) === 0) {
    try {
      address = (await lookup(hostname)).address;
    } catch (err) {
      throw new TargetError(`cannot resolve ${hostname}: ${(err as Error).message}`);
    }
  }
  return { baseUrl: `http://${url.host}`, address, port, hostHeader: url.host };
}
