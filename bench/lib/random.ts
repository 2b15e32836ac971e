/**
 * A small seeded random source for the judge benchmark: mulberry32 for uniforms, Box–Muller for
 * normals, and exact Poisson sampling (Knuth's method for small means, Hörmann's PTRS transformed
 * rejection for large ones). Same seed, same numbers, on every machine.
 */
import { gammaln } from 'simple-statistics';

export class Random {
  private state: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform on [0, 1) (mulberry32, 32-bit state). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller, both variates used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Poisson with mean `lambda` ≥ 0. */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    return lambda < 30 ? this.poissonKnuth(lambda) : this.poissonPtrs(lambda);
  }

  private poissonKnuth(lambda: number): number {
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = this.uniform();
    while (product > limit) {
      k += 1;
      product *= this.uniform();
    }
    return k;
  }

  /** Hörmann (1993), "The transformed rejection method for generating Poisson random variables". */
  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const logLambda = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    while (true) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * logLambda - gammaln(k + 1)
      )
        return k;
    }
  }
}

/** A well-mixed 32-bit seed from several integers (splitmix-style), for per-run streams. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
