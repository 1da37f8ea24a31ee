// One load-generator process of --processes N (see processes.ts): waits for its part of the run,
// runs it, sends snapshots and the result to the parent over IPC, and exits.
import { runLoad } from './run.js';
import type { FromChild, ToChild } from './processes.js';

const send = (m: FromChild): void => {
  process.send?.(m);
};

let stop: (() => void) | null = null;
process.on('message', (m: ToChild) => {
  if (m.type === 'stop') stop?.();
  else if (m.type === 'run') {
    runLoad(m.spec, {
      progress: null,
      onSnapshot: (snapshot) => send({ type: 'snapshot', snapshot }),
      onRunner: (r) => (stop = () => r.stop('interrupted')),
    })
      .then(({ report }) => send({ type: 'report', report }))
      .catch((err: unknown) => send({ type: 'error', message: (err as Error).message }))
      .finally(() => process.disconnect());
  }
});
send({ type: 'ready' });
