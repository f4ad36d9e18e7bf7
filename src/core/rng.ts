/**
 * A small seeded random generator (mulberry32). Everything random in the core
 * (corpus, batches, initial weights, sampling) draws from one of these, so a
 * seed reproduces a run. Never patches Math.random.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Shuffles `items` in place (Fisher-Yates, last index first) and returns them. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Standard normal, by Box-Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A new generator whose stream does not overlap this one's in practice. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/**
 * Indices 0..size-1 drawn without replacement, epoch after epoch: each epoch is a fresh permutation
 * taken from its end, and one call may span two epochs (the rollout prompts of PPO and GRPO).
 */
export function epochDraws(rng: Rng, size: number): (count: number) => number[] {
  let order: number[] = [];
  return (count) => {
    const out: number[] = [];
    while (out.length < count) {
      if (!order.length) order = rng.permutation(size);
      out.push(order.pop()!);
    }
    return out;
  };
}
