// loadConfig(): the only code that reads the environment. Flags win over environment variables,
// which win over defaults. Everything is validated once at start and the result is frozen.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_ENGINE, ENGINE_NAMES, isEngineName, type EngineName } from './engine/engines.js';
import { parseDuration } from './duration.js';
import { UserError } from './user-error.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** SQLite file (the embedded default) — `--db`, `DB_PATH`, or `DATABASE_URL=sqlite:<file>`. */
  readonly dbPath: string;
  /** PostgreSQL connection URL (`DATABASE_URL=postgres://…`); when set, the history lives there. */
  readonly databaseUrl: string | undefined;
  /** Retention: keep at most this many rows (the oldest go first); undefined = no cap. */
  readonly historyMaxRows: number | undefined;
  /** Retention: delete rows older than this, in ms; undefined = no cap. */
  readonly historyMaxAgeMs: number | undefined;
  readonly workers: number;
  /** Largest accepted request body, in bytes (413 above it). */
  readonly bodyLimit: number;
  /** Largest accepted text, in Unicode code points (422 above it). */
  readonly maxTextChars: number;
  /** Most texts in one POST /analyze/batch. */
  readonly batchMax: number;
  /** Origins allowed by CORS; empty = same origin only; ['*'] = any origin (the seed's behaviour). */
  readonly corsOrigins: readonly string[];
  /** Bearer token that unlocks DELETE /history; undefined = deletion disabled. */
  readonly adminToken: string | undefined;
  readonly logLevel: LogLevel;
  /** How long an idle keep-alive connection is kept open, in ms (must outlast clients' think time). */
  readonly keepAliveTimeoutMs: number;
  /**
   * SQLite durability: 'normal' (default; WAL) writes each group commit to the WAL without an
   * fsync: an acknowledged row survives a crash or SIGKILL of every process, and the last commits
   * may roll back if the machine loses power or the OS crashes. 'full' fsyncs every group commit,
   * on the event loop, so a row also survives a power loss. PostgreSQL follows its own synchronous_commit.
   */
  readonly sqliteSync: 'full' | 'normal';
  /** Requests one process handles at once; more are answered 503 at once (load shedding). */
  readonly maxInflight: number;
  /** API requests one client may make per minute (per worker process); undefined = no limit. */
  readonly rateLimit: number | undefined;
  /** Proxies whose X-Forwarded-For names the client (Fastify trustProxy: IPs, CIDRs, "loopback"). */
  readonly trustProxy: readonly string[];
  /** The engine of requests that name none (`textblob`: the original app's scores). */
  readonly defaultEngine: EngineName;
}

/** A configuration the server cannot start with (exit code 2). */
export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, 'config');
  }
}

/** Every option: flag name, environment variable, help text. Used by the parser and `--help`. */
export const OPTIONS = [
  { flag: 'host', env: 'HOST', help: 'address to listen on', value: '127.0.0.1' },
  { flag: 'port', env: 'PORT', help: 'TCP port', value: '3000' },
  { flag: 'db', env: 'DB_PATH', help: 'SQLite history file (or DATABASE_URL=sqlite:<file>)', value: './data/polarity.db' },
  { flag: 'database-url', env: 'DATABASE_URL', help: 'postgres://user@host:5432/db for a shared PostgreSQL history', def: '(unset: SQLite)' },
  { flag: 'sqlite-sync', env: 'SQLITE_SYNC', help: 'normal: a commit survives the process being killed; full: also power loss and OS crashes (an fsync per group commit)', value: 'normal' },
  { flag: 'history-max-rows', env: 'HISTORY_MAX_ROWS', help: 'keep at most this many rows, deleting the oldest', def: '(no cap)' },
  { flag: 'history-max-age', env: 'HISTORY_MAX_AGE', help: 'delete rows older than this: 90s, 30m, 12h, 30d', def: '(no cap)' },
  { flag: 'workers', env: 'WORKERS', help: 'worker processes sharing the port', def: 'number of CPUs' },
  { flag: 'body-limit', env: 'BODY_LIMIT', help: 'largest request body in bytes', value: '65536' },
  { flag: 'max-text-chars', env: 'MAX_TEXT_CHARS', help: 'longest text in characters', value: '20000' },
  { flag: 'batch-max', env: 'BATCH_MAX', help: 'most texts in one batch request', value: '100' },
  { flag: 'cors-origins', env: 'CORS_ORIGINS', help: "comma-separated allowed origins, or '*'", def: '(same origin only)' },
  { flag: 'admin-token', env: 'ADMIN_TOKEN', help: 'bearer token for DELETE /history (unset: deletion disabled)', def: '(unset)' },
  { flag: 'log-level', env: 'LOG_LEVEL', help: 'fatal|error|warn|info|debug|trace|silent', value: 'info' },
  { flag: 'keep-alive-timeout', env: 'KEEP_ALIVE_TIMEOUT_MS', help: 'idle keep-alive timeout in ms', value: '72000' },
  { flag: 'rate-limit', env: 'RATE_LIMIT', help: 'API requests per client per minute, per worker (429 past it)', def: '(no limit)' },
  { flag: 'trust-proxy', env: 'TRUST_PROXY', help: 'comma-separated proxy addresses/CIDRs whose X-Forwarded-For is trusted', def: '(none)' },
  { flag: 'default-engine', env: 'DEFAULT_ENGINE', help: "engine for requests that name none: textblob (the original's scores), vader or blend", value: DEFAULT_ENGINE },
  { flag: 'max-inflight', env: 'MAX_INFLIGHT', help: 'requests one worker handles at once; more get 503 + Retry-After', value: '1024' },
] as const;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** DATABASE_URL: sqlite:<file> or postgres(ql)://… */
function parseDatabaseUrl(databaseUrl: string): { dbPath?: string; databaseUrl?: string } {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL=sqlite: needs a file path, e.g. sqlite:./data/polarity.db');
    return { dbPath: path };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    try {
      new URL(databaseUrl);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid URL, e.g. postgres://polarity@db.internal:5432/polarity');
    }
    return { databaseUrl };
  }
  throw new ConfigError(`DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got "${databaseUrl.split(':')[0]}:")`);
}

function sqliteSync(raw: string): 'full' | 'normal' {
  if (raw !== 'full' && raw !== 'normal') throw new ConfigError(`sqlite-sync must be full or normal, got "${raw}"`);
  return raw;
}

/** HISTORY_MAX_AGE and friends: the program's one duration grammar (src/duration.ts), a unit required. */
function duration(name: string, raw: string): number {
  let seconds: number;
  try {
    seconds = parseDuration(raw);
  } catch {
    throw new ConfigError(`${name} must be a number with a unit ms, s, m, h or d, or several (e.g. 30d, 1h30m), got "${raw}"`);
  }
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) throw new ConfigError(`${name} must be at least 1s`);
  return ms;
}

/**
 * Query parameters that carry a secret: node-postgres (pg-connection-string) takes the password
 * as `?password=` as well as in the userinfo, and `sslpassword` unlocks a client key. Replaced in
 * the query text itself, so every other parameter is shown exactly as written.
 */
const SECRET_PARAM = /([?&])((?:ssl)?password)=[^&]*/gi;

/** Formats a Config's database for people, without a password (in the userinfo or the query). */
export function describeDatabase(config: Config): string {
  if (config.databaseUrl === undefined) return `SQLite ${config.dbPath}`;
  const u = new URL(config.databaseUrl);
  if (u.password) u.password = '***';
  u.search = u.search.replace(SECRET_PARAM, '$1$2=***');
  return `PostgreSQL ${u.toString()}`;
}

type Flag = (typeof OPTIONS)[number]['flag'];
const option = (flag: Flag) => OPTIONS.find((o) => o.flag === flag)!;

/** The command-line flags by name; an unknown flag or a positional argument is a ConfigError. */
function parseFlags(argv: readonly string[]): Record<string, string | undefined> {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: 'string' as const }])),
      allowPositionals: false,
      strict: true,
    });
    return parsed.values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Each option's text: its flag, else its environment variable, else its default (written once, in OPTIONS). */
class OptionReader {
  constructor(
    readonly flags: Record<string, string | undefined>,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The flag, else the variable; an empty one is unset. */
  given(flag: Flag): string | undefined {
    const v = this.flags[flag] ?? this.env[option(flag).env];
    return v === undefined || v === '' ? undefined : v;
  }

  value(flag: Flag): string {
    const o = option(flag);
    return this.given(flag) ?? ('value' in o ? o.value : '');
  }

  integer(flag: Flag, min: number, max: number): number {
    return integer(flag, this.value(flag), min, max);
  }

  /** Undefined when not given: no cap, no limit. */
  optionalInteger(flag: Flag, min: number, max: number): number | undefined {
    const raw = this.given(flag);
    return raw === undefined ? undefined : integer(flag, raw, min, max);
  }
}

/** Where the history lives: --db wins over DATABASE_URL (flag or variable), which wins over DB_PATH. */
function historyLocation(options: OptionReader): { dbPath: string; databaseUrl: string | undefined } {
  let dbPath = options.flags['db'];
  let databaseUrl: string | undefined;
  const urlRaw = dbPath === undefined ? options.given('database-url') : undefined;
  if (urlRaw !== undefined) ({ dbPath, databaseUrl } = parseDatabaseUrl(urlRaw));
  dbPath ??= options.value('db');
  return { dbPath, databaseUrl };
}

function commaList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function corsOrigins(raw: string | undefined): string[] {
  const origins = commaList(raw);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`cors-origins: "${origin}" is not an origin like https://example.com (no path, no trailing slash)`);
    }
  }
  return origins;
}

function adminToken(raw: string | undefined): string | undefined {
  if (raw !== undefined && raw.length < 16) throw new ConfigError('admin-token must be at least 16 characters long');
  return raw;
}

function logLevel(raw: string): LogLevel {
  if (!LOG_LEVELS.includes(raw as LogLevel)) throw new ConfigError(`log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return raw as LogLevel;
}

function engineName(raw: string): EngineName {
  if (!isEngineName(raw)) throw new ConfigError(`default-engine must be one of ${ENGINE_NAMES.join(', ')}, got "${raw}"`);
  return raw;
}

/**
 * Builds the configuration from environment variables and command-line flags (`argv` is what
 * follows `polarity serve`). Throws ConfigError with a message fit for a user.
 */
export function loadConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): Config {
  const options = new OptionReader(parseFlags(argv), env);
  const host = options.value('host');
  const port = options.integer('port', 0, 65535);
  const { dbPath, databaseUrl } = historyLocation(options);
  const workers = options.optionalInteger('workers', 1, 256) ?? availableParallelism();
  const origins = corsOrigins(options.given('cors-origins'));
  const token = adminToken(options.given('admin-token'));
  const level = logLevel(options.value('log-level'));
  const engine = engineName(options.value('default-engine'));
  const maxAge = options.given('history-max-age');

  // In this order: the properties are printed in it at start (describeConfig).
  return Object.freeze({
    host,
    port,
    dbPath,
    databaseUrl,
    historyMaxRows: options.optionalInteger('history-max-rows', 1, Number.MAX_SAFE_INTEGER),
    historyMaxAgeMs: maxAge === undefined ? undefined : duration('history-max-age', maxAge),
    workers,
    bodyLimit: options.integer('body-limit', 64, 64 * 1024 * 1024),
    maxTextChars: options.integer('max-text-chars', 1, 10_000_000),
    batchMax: options.integer('batch-max', 1, 10_000),
    corsOrigins: Object.freeze(origins),
    adminToken: token,
    logLevel: level,
    rateLimit: options.optionalInteger('rate-limit', 1, 10_000_000),
    trustProxy: Object.freeze(commaList(options.given('trust-proxy'))),
    sqliteSync: sqliteSync(options.value('sqlite-sync')),
    maxInflight: options.integer('max-inflight', 1, 1_000_000),
    defaultEngine: engine,
    keepAliveTimeoutMs: options.integer('keep-alive-timeout', 1000, 3_600_000),
  });
}

/** The configuration as printed at start: secrets masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : describeDatabase(config),
    adminToken: config.adminToken === undefined ? '(unset: deletion disabled)' : '***',
  };
}
