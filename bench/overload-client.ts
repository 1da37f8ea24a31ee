// One load process for bench/overload: the product's load tester (runLoad) with CONNECTIONS users
// that all connect at once from LOCAL_ADDRESS (127.0.0.2–5, so that no source address runs out of
// ports), each sending REQUESTS POST /analyze one after another, each with its own text; it prints
// one JSON line with every request's outcome (status, time, the id a 200 was stored under, the
// text) so that bench/overload.ts checks each acknowledged POST against the history.
//   node dist/bench/overload-client.js HOST PORT CONNECTIONS REQUESTS LOCAL_ADDRESS
// As in any load-tester run (and Locust's), a user whose connection fails reconnects for its next
// request, and the first request's time includes the connect.
import { runLoad } from '../src/loadtest/run.js';
import type { ResponseRecord } from '../src/loadtest/runner.js';
import { parseScenario } from '../src/loadtest/scenario.js';

const [host = '127.0.0.1', portRaw = '3000', connRaw = '1000', reqRaw = '2', localAddress = '127.0.0.1'] = process.argv.slice(2);
const connections = Number(connRaw);
const requests = Number(reqRaw);
const DEADLINE_S = 60;

interface Outcome {
  status: number; // 0: connection error or timeout
  /** the failure as the load tester reports it, when not a 200 */
  error?: string;
  ms: number;
  id?: number;
  text: string;
}

const POST = parseScenario({ name: 'overload', tasks: [{ method: 'POST', path: '/analyze', json: { text: '' } }] }, 'overload');
const outcomes: Outcome[] = [];
const records: { user: number; from: number; to: number; answered: boolean }[] = [];
const sentBy = new Uint32Array(connections);

const { report } = await runLoad(
  {
    host: `http://${host}:${portRaw}`,
    scenario: POST,
    users: connections,
    spawnRate: connections,
    durationS: DEADLINE_S,
    timeoutS: DEADLINE_S,
    stopTimeoutS: 0, // at the deadline, what is still in flight is left out
    maxRequests: null,
    mode: 'max',
    seed: 1,
    localAddress,
    requestsPerUser: requests,
    spawnAtOnce: true,
  },
  {
    progress: null,
    handleSignals: false,
    requests: {
      customize: () => (_n, user) => {
        const r = sentBy[user]!;
        sentBy[user] = r + 1;
        const text = `overload ${localAddress} c${user} r${r}`;
        return { body: JSON.stringify({ text }), tag: text };
      },
      keepBody: true,
      onResponse: (r) => {
        outcomes.push(outcome(r));
        records.push({ user: r.user, from: r.sentAt, to: r.sentAt + r.responseTimeMs, answered: r.status > 0 });
      },
    },
  },
);
process.stdout.write(JSON.stringify({ outcomes, maxOpen: mostOpen(), timedOut: report.stopReason === 'duration' }) + '\n');

function outcome(r: ResponseRecord): Outcome {
  let id: number | undefined;
  if (r.status === 200) id = (JSON.parse(r.body!) as { id: number }).id;
  return { status: r.status, ms: r.responseTimeMs, text: r.request.tag as string, ...(id === undefined ? {} : { id }), ...(r.error === null || r.status === 503 ? {} : { error: r.error }) };
}

/** The most connections open at once: each user that got an answer, from its first send to its last response. */
function mostOpen(): number {
  const spans = new Map<number, { from: number; to: number }>();
  for (const r of records) {
    if (!r.answered) continue;
    const s = spans.get(r.user);
    if (s === undefined) spans.set(r.user, { from: r.from, to: r.to });
    else {
      s.from = Math.min(s.from, r.from);
      s.to = Math.max(s.to, r.to);
    }
  }
  const events = [...spans.values()].flatMap((s) => [
    [s.from, 1],
    [s.to, -1],
  ]);
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d!));
  return most;
}
