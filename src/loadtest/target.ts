// --host: parsed and resolved once, so that 20,000 connects do not mean 20,000 DNS look-ups.
// https:// targets are checked against the system's CAs unless --insecure (a self-signed server).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Target } from './http-client.js';
import { UserError } from '../user-error.js';

export class TargetError extends UserError {}

export async function resolveTarget(host: string, opts: { insecure?: boolean } = {}): Promise<Target> {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new TargetError(`--host must be a URL such as http://127.0.0.1:3000 (got ${JSON.stringify(host)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetError(`--host must be http:// or https:// (got ${url.protocol})`);
  }
  const https = url.protocol === 'https:';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new TargetError('--host is scheme, host and port only; paths belong in the scenario');
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
  let address = hostname;
  if (isIP(hostname) === 0) {
    try {
      address = (await lookup(hostname)).address;
    } catch (err) {
      throw new TargetError(`cannot resolve ${hostname}: ${(err as Error).message}`);
    }
  }
  // The certificate is checked against the name in --host (SNI too), not the resolved address.
  const tls = https ? { servername: isIP(hostname) === 0 ? hostname : undefined, rejectUnauthorized: !opts.insecure } : null;
  return { baseUrl: `${url.protocol}//${url.host}`, address, port, hostHeader: url.host, tls };
}
