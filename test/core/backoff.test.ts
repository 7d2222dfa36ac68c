import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/core/backoff.js";
import type { Random } from "../../src/core/ports.js";

const fixed = (x: number): Random => ({ next: () => x });
const policy = { baseMs: 10, maxMs: 100 };

describe("backoffDelay", () => {
  it("lies within [cap/2, cap]: half fixed, half random", () => {
    expect(backoffDelay(1, policy, fixed(0))).toBe(5);
    expect(backoffDelay(1, policy, fixed(0.5))).toBe(7.5);
    expect(backoffDelay(1, policy, fixed(0.999999))).toBeCloseTo(10, 3);
    for (let i = 0; i < 200; i++) {
      const attempt = 1 + (i % 6);
      const cap = Math.min(100, 10 * 2 ** (attempt - 1));
      const d = backoffDelay(attempt, policy, fixed((i * 0.6180339887) % 1));
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    }
  });

  it("doubles the cap with every attempt", () => {
    const top = (attempt: number) => backoffDelay(attempt, policy, fixed(0)) * 2;
    expect([1, 2, 3, 4].map(top)).toEqual([10, 20, 40, 80]);
  });

  it("is bounded by maxMs however many attempts", () => {
    expect(backoffDelay(5, policy, fixed(0))).toBe(50); // 160 capped to 100
    expect(backoffDelay(60, policy, fixed(0.999))).toBeLessThanOrEqual(100);
    expect(backoffDelay(10_000, policy, fixed(0))).toBe(50);
  });

  it("treats attempt 0 or below like the first retry", () => {
    expect(backoffDelay(0, policy, fixed(0))).toBe(5);
    expect(backoffDelay(-3, policy, fixed(0))).toBe(5);
  });
});
