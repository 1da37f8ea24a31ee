// One keep-alive HTTP/1.1 connection per simulated user, on a bare TCP socket.
//
// Why not node:http's Agent: with 20,000 users the load tester must spend a few microseconds per
// request, and http.ClientRequest/IncomingMessage cost several times that (two streams, header
// objects, timers per request). A user sends one request at a time and reads one response, so the
// client needs little: a request serialised once per task and shared by every user, a parser for
// the status line, Content-Length / chunked / read-until-close bodies, and `Connection: close`.
//
// Connection semantics follow Locust's HttpUser (python-requests over urllib3, no retries):
//  - each user keeps one connection and reuses it;
//  - a connection the server closed while it was idle is replaced before the next request, silently
//    (urllib3 checks is_connection_dropped before reuse) — the new connect is timed with the request;
//  - a connection that closes or resets while a request is in flight fails that request;
//  - the error strings are the repr() of the exception Locust records, so failure tables group alike.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { pyStrRepr } from './python-compat.js';
import type { RequestSpec } from './scenario.js';
import { VERSION } from '../version.js';

/** Where requests go: the resolved address plus what the Host header and URLs show. */
export interface Target {
  /** http://host:port, no trailing slash, as Locust's --host */
  baseUrl: string;
  /** IP address to connect to (resolved once) */
  address: string;
  port: number;
  /** value of the Host header */
  hostHeader: string;
  /** https: TLS over the connection; rejectUnauthorized false with --insecure */
  tls?: { servername: string | undefined; rejectUnauthorized: boolean } | null;
}

/** A request serialised once and shared by every user. */
export interface PreparedRequest {
  readonly spec: RequestSpec;
  readonly bytes: Buffer;
  readonly url: string;
  readonly expectsNoBody: boolean;
  /** what a request builder tagged this one request with (loop.ts RequestChange), handed back with its response */
  readonly tag?: unknown;
}

/** Called once per request: status 0 and an error when no complete response arrived. */
export type Done = (status: number, reason: string, bodyBytes: number, error: string | null) => void;

export interface Connection {
  send(req: PreparedRequest, done: Done): void;
  /** Fails the request in flight with `error` (e.g. a timeout) and drops the socket. */
  abort(error: string): void;
  /** Closes the socket; a request in flight is dropped without calling back. */
  close(): void;
  /** The last response's headers kept (TransportOptions.keepHeaders: lower-case name → value), or null. */
  keptHeaders?(): Readonly<Record<string, string>> | null;
  /** The last response's body (TransportOptions.keepBody), as UTF-8, or null. */
  keptBody?(): string | null;
}

/** How a transport's connections are made and what they keep of responses; all optional. */
export interface TransportOptions {
  /** the local address to connect from (127.0.0.2: another source address, its own ports) */
  localAddress?: string | null;
  /** response headers to keep for keptHeaders() (names in any case); none by default */
  keepHeaders?: readonly string[] | null;
  /** keep each response's body for keptBody(); only the byte count by default */
  keepBody?: boolean;
}

export interface Transport {
  prepare(spec: RequestSpec): PreparedRequest;
  connection(): Connection;
  readonly target: Target;
}

export const USER_AGENT = `polarity-loadtest/${VERSION}`;

export function prepareRequest(target: Target, spec: RequestSpec): PreparedRequest {
  const body = spec.body === null ? null : Buffer.from(spec.body, 'utf8');
  let head = `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\nConnection: keep-alive\r\n`;
  for (const [k, v] of Object.entries(spec.headers)) head += `${k}: ${v}\r\n`;
  if (body !== null || ['POST', 'PUT', 'PATCH'].includes(spec.method)) head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const bytes = body === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
  return { spec, bytes, url: target.baseUrl + spec.path, expectsNoBody: spec.method === 'HEAD' };
}

/** The repr() of the exception python-requests/urllib3 raise for a socket error code. */
export function socketErrorRepr(err: NodeJS.ErrnoException): string {
  // A certificate that does not verify: requests raises SSLError (its repr holds OpenSSL's reason).
  if (typeof err.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(err.code)) {
    return `SSLError(${pyStrRepr(`certificate verify failed: ${err.message}`)})`;
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return "ConnectionRefusedError(111, 'Connection refused')";
    case 'ECONNRESET':
      return "ConnectionResetError(104, 'Connection reset by peer')";
    case 'EPIPE':
      return "BrokenPipeError(32, 'Broken pipe')";
    case 'ETIMEDOUT':
      return "TimeoutError(110, 'Connection timed out')";
    case 'EMFILE':
      return "OSError(24, 'Too many open files')";
    case 'EADDRNOTAVAIL':
      return "OSError(99, 'Cannot assign requested address')";
    case 'EHOSTUNREACH':
      return "OSError(113, 'No route to host')";
    case 'ENETUNREACH':
      return "OSError(101, 'Network is unreachable')";
    default:
      return `OSError(${pyStrRepr(err.message)})`;
  }
}

export const REMOTE_DISCONNECTED = "RemoteDisconnected('Remote end closed connection without response')";

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

const enum Phase {
  Idle,
  Head,
  Length,
  Chunked,
  UntilClose,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailer,
}

export class HttpConnection implements Connection {
  private socket: Socket | null = null;
  private phase = Phase.Idle;
  private done: Done | null = null;
  private req: PreparedRequest | null = null;
  private head: Buffer | null = null;
  private received = 0;
  private status = 0;
  private reason = '';
  private keepAlive = true;
  private remaining = 0;
  private bodyBytes = 0;
  private chunk = Chunk.Size;
  private line = '';
  private readonly localAddress: string | undefined;
  /** keepHeaders as "\r\nname:" prefixes of a lower-cased head, or null */
  private readonly keepPrefixes: readonly string[] | null;
  private readonly keepBody: boolean;
  private kept: Record<string, string> | null = null;
  /** the body's pieces while it is kept (keepBody), else null */
  private bodyParts: Buffer[] | null = null;

  constructor(
    private readonly target: Target,
    options: TransportOptions = {},
  ) {
    this.localAddress = options.localAddress ?? undefined;
    this.keepPrefixes = options.keepHeaders?.length ? options.keepHeaders.map((h) => `\r\n${h.toLowerCase()}:`) : null;
    this.keepBody = options.keepBody === true;
  }

  send(req: PreparedRequest, done: Done): void {
    this.req = req;
    this.done = done;
    this.phase = Phase.Head;
    this.head = null;
    this.received = 0;
    this.bodyBytes = 0;
    let socket = this.socket;
    if (socket === null) socket = this.open();
    socket.write(req.bytes);
  }

  abort(error: string): void {
    this.drop();
    this.finish(0, error);
  }

  close(): void {
    this.done = null;
    this.phase = Phase.Idle;
    this.drop();
  }

  keptHeaders(): Readonly<Record<string, string>> | null {
    return this.kept;
  }

  keptBody(): string | null {
    return this.bodyParts === null ? null : Buffer.concat(this.bodyParts).toString('utf8');
  }

  private open(): Socket {
    const tls = this.target.tls;
    // Writes made before the TLS handshake ends are queued by the TLS socket and sent after it.
    const socket: Socket = tls ? tlsConnect(this.tlsOptions(tls)).setNoDelay(true) : connect({ host: this.target.address, port: this.target.port, localAddress: this.localAddress, noDelay: true });
    this.socket = socket;
    socket.on('data', (data: Buffer) => {
      if (socket === this.socket) this.onData(data);
    });
    socket.on('end', () => {
      if (socket === this.socket) this.onEnd();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this.socket) this.onFailure(socketErrorRepr(err));
    });
    socket.on('close', () => {
      if (socket === this.socket) this.onFailure(REMOTE_DISCONNECTED);
    });
    return socket;
  }

  private tlsOptions(tls: NonNullable<Target['tls']>): ConnectionOptions {
    // tls.connect hands localAddress to the socket's connect, as net.connect does; its type leaves it out.
    const options: ConnectionOptions & { localAddress?: string } = {
      host: this.target.address,
      port: this.target.port,
      localAddress: this.localAddress,
      servername: tls.servername,
      rejectUnauthorized: tls.rejectUnauthorized,
      ALPNProtocols: ['http/1.1'],
    };
    return options;
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.destroy();
  }

  private finish(status: number, error: string | null): void {
    const done = this.done;
    this.done = null;
    this.req = null;
    this.phase = Phase.Idle;
    if (done !== null) done(status, this.reason, this.bodyBytes, error);
  }

  /** The socket closed or failed: fails a request in flight; an idle socket is just forgotten. */
  private onFailure(error: string): void {
    this.drop();
    if (this.phase === Phase.Idle) return;
    if (this.phase === Phase.UntilClose) return this.complete();
    if (this.phase !== Phase.Head || this.received > 0) {
      error = `ChunkedEncodingError(ProtocolError('Connection broken: IncompleteRead(${this.bodyBytes} bytes read)'))`;
    }
    this.finish(0, error);
  }

  private onEnd(): void {
    this.onFailure(REMOTE_DISCONNECTED);
  }

  private complete(): void {
    if (!this.keepAlive) this.drop();
    this.finish(this.status, null);
  }

  private onData(data: Buffer): void {
    if (this.phase === Phase.Idle) {
      // Bytes nobody asked for: the connection can no longer be trusted.
      this.drop();
      return;
    }
    this.received += data.length;
    let pos = 0;
    while (pos < data.length || this.phase === Phase.Head) {
      if (this.phase === Phase.Head) {
        let buf = data;
        let start = pos;
        if (this.head !== null) {
          buf = Buffer.concat([this.head, data.subarray(pos)]);
          start = 0;
          this.head = null;
        }
        const end = buf.indexOf(CRLFCRLF, start);
        if (end < 0) {
          if (buf.length - start > MAX_HEAD) return this.protocolError('response head too large');
          if (start < buf.length) this.head = Buffer.from(buf.subarray(start));
          return;
        }
        if (!this.parseHead(buf.toString('latin1', start, end))) return;
        data = buf;
        pos = end + 4;
        continue;
      }
      if (this.phase === Phase.Length) {
        const n = Math.min(this.remaining, data.length - pos);
        if (this.bodyParts !== null) this.bodyParts.push(data.subarray(pos, pos + n));
        this.remaining -= n;
        this.bodyBytes += n;
        pos += n;
        if (this.remaining === 0) return this.complete();
        continue;
      }
      if (this.phase === Phase.UntilClose) {
        if (this.bodyParts !== null) this.bodyParts.push(data.subarray(pos));
        this.bodyBytes += data.length - pos;
        return;
      }
      pos = this.parseChunked(data, pos);
      if (pos < 0) return;
    }
  }

  /** Reads the status line and the headers that frame the body; false when the request ended. */
  private parseHead(head: string): boolean {
    // "HTTP/1.x NNN reason" — read by position: this runs for every response, so no regex or split.
    const firstEnd = head.indexOf('\r\n');
    const lineEnd = firstEnd < 0 ? head.length : firstEnd;
    const minor = head.charCodeAt(7);
    const status = Number(head.slice(9, 12));
    if (!head.startsWith('HTTP/1.') || (minor !== 0x30 && minor !== 0x31) || head.charCodeAt(8) !== 0x20 || !(status >= 100 && status <= 999) || (lineEnd > 12 && head.charCodeAt(12) !== 0x20)) {
      this.protocolError(`bad status line ${head.slice(0, Math.min(lineEnd, 80))}`);
      return false;
    }
    let keepAlive = minor === 0x31;
    let length = -1;
    let chunked = false;
    if (firstEnd >= 0) {
      const lower = head.toLowerCase();
      const cl = headerValue(lower, '\r\ncontent-length:');
      if (cl !== null) length = cl === '' ? NaN : Number(cl);
      const te = headerValue(lower, '\r\ntransfer-encoding:');
      if (te !== null) chunked = te.split(',').some((v) => v.trim() === 'chunked');
      const conn = headerValue(lower, '\r\nconnection:');
      if (conn !== null) {
        const tokens = conn.split(',').map((v) => v.trim());
        if (tokens.includes('close')) keepAlive = false;
        else if (tokens.includes('keep-alive')) keepAlive = true;
      }
    }
    if (status >= 100 && status < 200 && status !== 101) return true; // interim response: the real one follows
    this.status = status;
    this.reason = lineEnd > 13 ? head.slice(13, lineEnd) : '';
    this.keepAlive = keepAlive;
    this.bodyBytes = 0;
    if (this.keepPrefixes !== null) this.kept = keptHeaders(head, this.keepPrefixes);
    if (this.keepBody) this.bodyParts = [];
    if (this.req!.expectsNoBody || status === 204 || status === 304) {
      this.complete();
      return false;
    }
    if (chunked) {
      this.phase = Phase.Chunked;
      this.chunk = Chunk.Size;
      this.line = '';
    } else if (length >= 0 && Number.isSafeInteger(length)) {
      if (length === 0) {
        this.complete();
        return false;
      }
      this.phase = Phase.Length;
      this.remaining = length;
    } else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
    return true;
  }

  /** Consumes chunked body bytes from pos; returns the new position, or -1 when the request ended. */
  private parseChunked(data: Buffer, pos: number): number {
    while (pos < data.length) {
      if (this.chunk === Chunk.Data) {
        const n = Math.min(this.remaining, data.length - pos);
        if (this.bodyParts !== null) this.bodyParts.push(data.subarray(pos, pos + n));
        this.remaining -= n;
        this.bodyBytes += n;
        pos += n;
        if (this.remaining === 0) {
          this.chunk = Chunk.DataEnd;
          this.line = '';
        }
        continue;
      }
      const nl = data.indexOf(10, pos);
      if (nl < 0) {
        this.line += data.toString('latin1', pos);
        if (this.line.length > 4096) {
          this.protocolError('chunk line too long');
          return -1;
        }
        return data.length;
      }
      const line = (this.line + data.toString('latin1', pos, nl)).replace(/\r$/, '');
      this.line = '';
      pos = nl + 1;
      if (this.chunk === Chunk.DataEnd) {
        this.chunk = Chunk.Size;
      } else if (this.chunk === Chunk.Size) {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0) {
          this.protocolError('bad chunk size');
          return -1;
        }
        if (size === 0) this.chunk = Chunk.Trailer;
        else {
          this.chunk = Chunk.Data;
          this.remaining = size;
        }
      } else if (line === '') {
        this.complete();
        return -1;
      }
    }
    return pos;
  }

  private protocolError(what: string): void {
    this.drop();
    this.finish(0, `ProtocolError(${pyStrRepr(what)})`);
  }
}

/** The trimmed value of the header starting with `prefix` ("\r\nname:") in a lower-cased head, or null. */
function headerValue(lowerHead: string, prefix: string): string | null {
  const at = lowerHead.indexOf(prefix);
  if (at < 0) return null;
  const end = lowerHead.indexOf('\r\n', at + prefix.length);
  return lowerHead.slice(at + prefix.length, end < 0 ? lowerHead.length : end).trim();
}

/** The headers of a response head whose lower-cased "\r\nname:" is among `prefixes`: name → value as sent. */
function keptHeaders(head: string, prefixes: readonly string[]): Record<string, string> {
  const lower = head.toLowerCase(); // latin1: the same length, so positions match `head`
  const out: Record<string, string> = {};
  for (const prefix of prefixes) {
    const at = lower.indexOf(prefix);
    if (at < 0) continue;
    const end = lower.indexOf('\r\n', at + prefix.length);
    out[prefix.slice(2, -1)] = head.slice(at + prefix.length, end < 0 ? head.length : end).trim();
  }
  return out;
}

export function createTransport(target: Target, options: TransportOptions = {}): Transport {
  return {
    target,
    prepare: (spec) => prepareRequest(target, spec),
    connection: () => new HttpConnection(target, options),
  };
}
