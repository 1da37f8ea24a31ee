// Durations as Locust's --run-time takes them ("60", "60s", "1m30s", "1h") plus milliseconds ("500ms").

export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const v = Number(m[1]);
    total += m[2] === 'h' ? v * 3600 : m[2] === 'm' ? v * 60 : m[2] === 's' ? v : v / 1000;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) throw new RangeError(`not a duration: ${JSON.stringify(text)} (use e.g. 60s, 1m30s, 500ms)`);
  return total;
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60 || seconds % 60 !== 0) return `${Number(seconds.toFixed(3))}s`;
  return `${seconds / 60}m`;
}
