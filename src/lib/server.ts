// `polarity-server/server`: start the service from code, as `polarity-server serve` does.
//
//   import { loadConfig, serve } from 'polarity-server/server';
//   await serve(loadConfig(process.env, ['--port', '8080', '--workers', '1']));
//
// serve() owns the process: it installs SIGTERM/SIGINT handlers that drain and then exit, and with
// more than one worker it forks (node:cluster). To embed the HTTP app in a process of your own
// without any of that, buildApp() returns the Fastify instance (it never listens).
export { serve } from '../server.js';
export { ConfigError, loadConfig, type Config } from '../config.js';
export { buildApp, type AppOptions } from '../http/app.js';
export { openStore } from '../store/open.js';
export type { HistoryStore } from '../store/history-store.js';
export { VERSION } from '../version.js';
