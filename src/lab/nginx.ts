// nginx for the lab: the one main configuration around deploy/nginx's site template (rendered
// by deploy/nginx/render-config), shared by `polarity plan calibrate` and deploy/local-cluster's
// load balancer (which calls `node dist/src/lab/cli.js nginx-main`), and starting and stopping an
// nginx on given cores, in a namespace or not.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup.js';
import { LabError } from './errors.js';
import { waitForOk } from './local-cluster.js';
import { onCores } from './pin.js';
import { isRoot, PATH, ROOT } from './system.js';

/**
 * The production template's per-client limits raised out of the way: the lab sends thousands of
 * requests a second from one address (test/cluster/deploy-files.test.ts checks the limits themselves).
 */
export const NO_CLIENT_LIMITS = ['--rate', '100000r/s', '--burst', '100000', '--conns', '60000', '--stream-rate', '1000r/s', '--stream-burst', '1000', '--streams', '10000'] as const;

export interface NginxMain {
  /** nginx's prefix: pid, error log, temp directories and the site file live here */
  readonly dir: string;
  /** the workers' user (root only); none: nginx's own default */
  readonly user?: string;
  readonly workerProcesses: number | 'auto';
  /** the site configuration to include */
  readonly include: string;
}

/** nginx.conf: the main context around the site file, every path inside `dir`. */
export function renderNginxMain(m: NginxMain): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${m.dir}/tmp/${t};\n`).join('');
  return (
    `# nginx's main file around deploy/nginx/polarity.conf.template (src/lab/nginx.ts).\n` +
    (m.user ? `user ${m.user};\n` : '') +
    `worker_processes ${m.workerProcesses};\npid ${m.dir}/nginx.pid;\nerror_log ${m.dir}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n` +
    temp +
    `    default_type application/octet-stream;\n    sendfile on;\n    tcp_nopush on;\n    keepalive_timeout 75s;\n    server_tokens off;\n    include ${m.include};\n}\n`
  );
}

/** The workers' user when nginx starts as root: www-data where it exists, else nobody. */
export function nginxWorkerUser(): string {
  return spawnSync('id', ['-u', 'www-data']).status === 0 ? 'www-data' : 'nobody';
}

export interface StartedNginx {
  readonly url: string;
  readonly master: number;
  readonly stop: () => Promise<void>;
}

/** nginx with `workerProcesses` workers in front of `upstreams`, listening on `listen` (address:port). */
export async function startNginx(
  stack: CleanupStack,
  o: { dir: string; upstreams: readonly string[]; listen: string; cores?: string; netns?: string; workerProcesses: number },
): Promise<StartedNginx> {
  stack.signal.throwIfAborted();
  mkdirSync(join(o.dir, 'tmp'), { recursive: true });
  chmodSync(join(o.dir, 'tmp'), 0o777);
  const site = spawnSync(
    join(ROOT, 'deploy/nginx/render-config'),
    [...o.upstreams.flatMap((u) => ['--upstream', u.replace('http://', '')]), '--listen', o.listen, '--access-log', join(o.dir, 'access.log'), ...NO_CLIENT_LIMITS],
    { encoding: 'utf8' },
  );
  if (site.status !== 0) throw new LabError(`deploy/nginx/render-config: ${site.stderr}`);
  writeFileSync(join(o.dir, 'polarity.conf'), site.stdout);
  const conf = join(o.dir, 'nginx.conf');
  writeFileSync(conf, renderNginxMain({ dir: o.dir, ...(isRoot() ? { user: nginxWorkerUser() } : {}), workerProcesses: o.workerProcesses, include: join(o.dir, 'polarity.conf') }));
  const nginx = ['nginx', '-p', `${o.dir}/`, '-e', join(o.dir, 'error.log'), '-c', conf];
  const argv = onCores(o.cores, [...(o.netns ? ['ip', 'netns', 'exec', o.netns] : []), ...nginx]);
  const started = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, PATH } });
  if (started.status !== 0) throw new LabError(`nginx did not start: ${started.stderr}`);
  // quit: let the workers finish what they serve (a stop in the middle of a phase is its end)
  const stop = stack.defer(`nginx in ${o.dir}`, () => void spawnSync('nginx', [...nginx.slice(1), '-s', 'quit'], { env: { ...process.env, PATH } }));
  const url = `http://${o.listen}`;
  await waitForOk(`${url}/readyz`, 15);
  return { url, master: Number(readFileSync(join(o.dir, 'nginx.pid'), 'utf8').trim()), stop };
}
