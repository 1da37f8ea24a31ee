/** Makes a Map read-only for good: frozen, and its mutators throw. */
export function freezeMap<K, V>(m: Map<K, V>): ReadonlyMap<K, V> {
  const fail = (): never => {
    throw new TypeError('this engine table is read-only');
  };
  m.set = fail;
  m.delete = fail;
  m.clear = fail;
  return Object.freeze(m);
}
