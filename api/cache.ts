/**
 * A small single-flight cache: concurrent readers of the same key share one pending read, and a
 * result is reused for its time to live. Failed reads are not kept. Bounded: the oldest entries go
 * first.
 */
import { BoundedMap } from './bounded-map.js';

export class SingleFlightCache<V> {
  private readonly entries: BoundedMap<string, { at: number; ttlMs: number; value: Promise<V> }>;

  constructor(
    private readonly clock: () => number,
    maxEntries = 1000,
  ) {
    this.entries = new BoundedMap(maxEntries);
  }

  /** The cached value for `key`, or `read()`'s (kept for `ttlMs`; 0 keeps nothing). */
  get(key: string, ttlMs: number, read: () => Promise<V>): Promise<V> {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < hit.ttlMs) return hit.value;
    const value = read();
    if (ttlMs > 0) {
      this.store(key, { at: now, ttlMs, value });
      value.catch(() => {
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      });
    }
    return value;
  }

  /** Puts a known value (e.g. the status an update returned). */
  set(key: string, ttlMs: number, value: V): void {
    if (ttlMs > 0) this.store(key, { at: this.clock(), ttlMs, value: Promise.resolve(value) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private store(key: string, entry: { at: number; ttlMs: number; value: Promise<V> }): void {
    this.entries.set(key, entry);
  }
}
