/**
 * The API's bounded memories forget the oldest entry first, and a key set again counts as new.
 */
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../api/bounded-map.js';

describe('BoundedMap', () => {
  it('drops the least recently set key once it holds more than its limit', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 3); // a is now the newest
    map.set('c', 4);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([3, undefined, 4]);
    map.delete('a');
    expect(map.get('a')).toBeUndefined();
  });
});
