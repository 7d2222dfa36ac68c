import { describe, expect, it } from "vitest";
import type { RoundStats } from "../../src/core/proposer.js";
import { failure, serverTiming } from "../../src/http/outcome.js";

const stats = (over: Partial<RoundStats> = {}): RoundStats => ({
  rounds: 0,
  attempts: 0,
  conflicts: 0,
  peekMs: 0,
  prepareMs: 0,
  acceptMs: 0,
  queueMs: 0,
  lingerMs: 0,
  backoffMs: 0,
  fastPath: null,
  ...over,
});

describe("answers under overload", () => {
  it("a change refused at admission is a 503 overloaded with Retry-After", () => {
    const error = failure({ kind: "unavailable", reason: "this proposer is overloaded", stats: stats(), overloaded: true });
    expect(error.status).toBe(503);
    expect(error.code).toBe("overloaded");
    expect(error.headers["retry-after"]).toBe("1");
  });

  it("a change that waited past its deadline is a 503 unavailable with Retry-After, its queue time in Server-Timing", () => {
    const error = failure({ kind: "unavailable", reason: "waited past the deadline behind earlier changes of the key", stats: stats({ queueMs: 4000 }) });
    expect(error.status).toBe(503);
    expect(error.code).toBe("unavailable");
    expect(error.headers["retry-after"]).toBe("1");
    expect(error.headers["server-timing"]).toContain("queue;dur=4000");
  });

  it("Server-Timing shows queue, linger and backoff apart from the rounds", () => {
    const header = serverTiming(stats({ rounds: 2, queueMs: 12, lingerMs: 1, backoffMs: 7, prepareMs: 5, acceptMs: 6 }));
    expect(header).toBe('rounds;desc="2", queue;dur=12, linger;dur=1, prepare;dur=5, accept;dur=6, backoff;dur=7');
  });
});
