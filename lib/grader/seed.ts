/**
 * Per-session drawn truth. A session's seed (a random string the session stores) feeds a small
 * deterministic PRNG, so the same session always draws the same truth (a Check can re-derive it)
 * and two sessions almost never share it (answers cannot be copied). Pure: no Node crypto.
 */

/** FNV-1a over the UTF-16 code units, then splitmix32 — enough spread for drawing among a few options. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A deterministic stream of 32-bit numbers for one (seed, purpose) pair. */
export interface Draw {
  /** An integer in [0, n). */
  int(n: number): number;
  /** One of the options. */
  pick<T>(options: readonly T[]): T;
}

/**
 * `drawFor(seed, 'futex-contention/hot-lock')`: the purpose keeps different draws of one session
 * independent, so adding a draw to a lab does not change the others.
 */
export function drawFor(seed: string, purpose: string): Draw {
  let state = hash32(`${purpose}\u0000${seed}`);
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    int(n) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`draw.int needs a positive integer, got ${n}`);
      return next() % n;
    },
    pick(options) {
      if (options.length === 0) throw new Error('draw.pick needs options');
      return options[this.int(options.length)] as (typeof options)[number];
    },
  };
}
