/**
 * `fn` worked out once per object (an environment, say) and kept as long as the object lives: for what a
 * build asks of the same environment for every tenant.
 */
export function oncePer<K extends object, V>(fn: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key)!;
    const value = fn(key);
    cache.set(key, value);
    return value;
  };
}
