import { describe, expect, it } from "vitest";
import { nextSweep, type SweepResult } from "../../src/collector/schedule.js";

const done: SweepResult = { collected: 5, live: 1, retry: 0, unreachable: 0, backlog: false, nextDueAt: null };
const NOW = 1_000_000;

describe("collector schedule", () => {
  it("stops when nothing is left", () => {
    expect(nextSweep(done, NOW, 0)).toBeNull();
  });

  it("sweeps again soon when a sweep could not list or collect everything", () => {
    expect(nextSweep({ ...done, backlog: true }, NOW, 0)).toBe(NOW + 100);
  });

  it("wakes when the youngest waiting tombstone becomes due, never sooner than the minimum gap", () => {
    expect(nextSweep({ ...done, nextDueAt: NOW + 60_000 }, NOW, 0)).toBe(NOW + 60_000);
    expect(nextSweep({ ...done, nextDueAt: NOW - 5 }, NOW, 0)).toBe(NOW + 100);
  });

  it("backs off failures exponentially from 1 s to at most 5 min", () => {
    const failing = { ...done, retry: 3 };
    expect([1, 2, 3, 4].map((f) => nextSweep(failing, NOW, f)! - NOW)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(nextSweep(failing, NOW, 40)! - NOW).toBe(300_000);
    expect(nextSweep({ ...done, unreachable: 1 }, NOW, 1)! - NOW).toBe(1_000);
  });

  it("takes the earliest reason", () => {
    expect(nextSweep({ ...done, retry: 1, nextDueAt: NOW + 500 }, NOW, 3)).toBe(NOW + 500);
    expect(nextSweep({ ...done, retry: 1, backlog: true }, NOW, 3)).toBe(NOW + 100);
  });
});
