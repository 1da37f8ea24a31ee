// The hostile input shapes live with the benchmark that measures them (bench/hostile-inputs.ts);
// the engine tests feed the same shapes to every engine.
export { HOSTILE, MB } from '../../bench/hostile-inputs.js';
