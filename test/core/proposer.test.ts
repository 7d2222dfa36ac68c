import { describe, expect, it } from "vitest";
import { compareBallots } from "../../src/core/ballot.js";
import { compareAndSet, create, increment, remove, write } from "../../src/core/change.js";
import type { AcceptorRequest } from "../../src/core/messages.js";
import type { Outcome } from "../../src/core/proposer.js";
import type { Register, RegisterState } from "../../src/core/register.js";
import { Cluster, type Behaviour } from "./harness.js";
import { flush } from "./manual-clock.js";

const K = "key";
const enc = (s: string) => new TextEncoder().encode(s);
const text = (r: Register) => (r === null || r.value === null ? null : new TextDecoder().decode(r.value));

function expectApplied(outcome: Outcome): Extract<Outcome, { kind: "applied" }> {
  if (outcome.kind !== "applied") throw new Error(`expected applied, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Every acceptor that holds the key holds the same accepted ballot and state. */
function expectAllHold(cluster: Cluster, key: string, expected: { version: number; text: string | null }) {
  for (let i = 0; i < cluster.n; i++) {
    const slot = cluster.slot(i, key);
    expect(slot?.state?.version, `acceptor ${i} version`).toBe(expected.version);
    expect(text(slot?.state ?? null), `acceptor ${i} value`).toBe(expected.text);
  }
}

describe.each([3, 5])("proposer over %i acceptors", (n) => {
  const minority = Math.floor((n - 1) / 2);
  const down = (behaviour: Behaviour, count: number): Record<number, Behaviour> =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [i, behaviour]));

  for (const peekReads of [true, false]) {
    it(`reads back what it wrote (peekReads ${peekReads})`, async () => {
      const cluster = new Cluster(n);
      const { proposer } = cluster.proposer("p", { config: { peekReads } });
      const written = expectApplied(await proposer.change(K, write(enc("hello"), "text/plain")));
      expect(written.state).toMatchObject({ version: 1, contentType: "text/plain" });
      expect(written.previous).toBeNull();
      const read = expectApplied(await proposer.read(K));
      expect(text(read.state)).toBe("hello");
      expect(read.state?.version).toBe(1);
      // Another proposer, with no cached promise, reads it too.
      const { proposer: other } = cluster.proposer("q", { config: { peekReads } });
      // (Its first ballot is below p's piggybacked promise, so it may need a retry: let the clock run.)
      expect(text(expectApplied(await cluster.clock.runUntil(other.read(K))).state)).toBe("hello");
    });
  }

  it("reads an absent key as null", async () => {
    const cluster = new Cluster(n);
    const { proposer } = cluster.proposer("p");
    const read = expectApplied(await proposer.read("nothing"));
    expect(read.state).toBeNull();
  });

  it("numbers successive writes 1, 2, 3, each reporting the previous state", async () => {
    const cluster = new Cluster(n);
    const { proposer } = cluster.proposer("p");
    const outcomes: Array<Extract<Outcome, { kind: "applied" }>> = [];
    for (const v of ["a", "b", "c"]) outcomes.push(expectApplied(await proposer.change(K, write(enc(v), "t"))));
    expect(outcomes.map((o) => o.state?.version)).toEqual([1, 2, 3]);
    expect(outcomes.map((o) => text(o.previous))).toEqual([null, "a", "b"]);
    expectAllHold(cluster, K, { version: 3, text: "c" });
  });

  it(`applies every op with ${minority} acceptor(s) failing every call`, async () => {
    const cluster = new Cluster(n);
    const { proposer, link } = cluster.proposer("p");
    link.set(down("fail", minority));
    const start = cluster.clock.now();
    expectApplied(await proposer.change(K, write(enc("a"), "t")));
    expectApplied(await proposer.change(K, write(enc("b"), "t")));
    expectApplied(await proposer.change(K, compareAndSet(2, enc("c"), "t")));
    expect(text(expectApplied(await proposer.read(K)).state)).toBe("c");
    expectApplied(await proposer.change(K, remove(3)));
    expectApplied(await proposer.change("n", increment(2)));
    expect(text(expectApplied(await proposer.change("n", increment(3))).state)).toBe("5");
    expect(expectApplied(await proposer.read(K)).state).toMatchObject({ version: 4, value: null });
    expect(cluster.clock.now()).toBe(start); // no time-out or backoff was needed
  });

  it(`applies without waiting when ${minority} acceptor(s) hang: no timer has to fire`, async () => {
    const cluster = new Cluster(n);
    const { proposer, link } = cluster.proposer("p");
    link.set(down("hang", minority));
    // Awaited with the clock standing still: a round that waited for the hung acceptor would never finish.
    expectApplied(await proposer.change(K, write(enc("a"), "t")));
    expectApplied(await proposer.change(K, write(enc("b"), "t")));
    expectApplied(await proposer.change("other", write(enc("c"), "t")));
    expect(cluster.clock.now()).toBe(1_000);
    expect(cluster.clock.pendingTimers).toBe(0);
    // A read peeks at a bare majority first: with a hung acceptor among them, the rest are asked after the hedge
    // delay (20 ms), never after a round timeout.
    const read = expectApplied(await cluster.clock.runUntil(proposer.read(K)));
    expect(text(read.state)).toBe("b");
    expect(cluster.clock.now() - 1_000).toBeLessThanOrEqual(20);
  });

  it(`is unavailable at the deadline with ${minority + 1} acceptors failing, and accepted nothing anywhere`, async () => {
    const cluster = new Cluster(n);
    const { proposer, link } = cluster.proposer("p");
    link.set(down("fail", minority + 1));
    const start = cluster.clock.now();
    const outcome = await cluster.clock.runUntil(proposer.change(K, write(enc("a"), "t")));
    expect(outcome.kind).toBe("unavailable");
    expect(cluster.clock.now()).toBe(start + 1_000); // it kept retrying until the deadline, not beyond
    expect(outcome.stats.attempts).toBeGreaterThan(1);
    expect(link.count("accept")).toBe(0);
    for (let i = 0; i < n; i++) expect(cluster.slot(i, K)?.accepted ?? null).toBeNull();
    expect(cluster.clock.pendingTimers).toBe(0);
  });

  it(`is unavailable after round time-outs with ${minority + 1} acceptors hanging`, async () => {
    const cluster = new Cluster(n);
    const { proposer, link } = cluster.proposer("p");
    link.set(down("hang", minority + 1));
    const start = cluster.clock.now();
    const outcome = await cluster.clock.runUntil(proposer.change(K, write(enc("a"), "t")));
    expect(outcome.kind).toBe("unavailable");
    expect(cluster.clock.now()).toBeGreaterThanOrEqual(start + 1_000);
    expect(cluster.clock.now()).toBeLessThanOrEqual(start + 1_000 + 100);
    expect(outcome.stats.prepareMs).toBeGreaterThanOrEqual(100); // rounds waited for their time-out
    for (let i = 0; i < n; i++) expect(cluster.slot(i, K)?.accepted ?? null).toBeNull();
  });

  it("a read is unavailable (not unknown) when no majority answers", async () => {
    const cluster = new Cluster(n);
    const { proposer: writer } = cluster.proposer("w");
    await writer.change(K, write(enc("a"), "t"));
    const { proposer, link } = cluster.proposer("p");
    link.set(down("fail", minority + 1));
    const outcome = await cluster.clock.runUntil(proposer.read(K));
    expect(outcome.kind).toBe("unavailable");
  });
});

describe("proposer: slow acceptors", () => {
  it("finishes at the first majority and lets the slow acceptor catch up later", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    link.set({ 2: { delayMs: 30 } });
    expectApplied(await proposer.change(K, write(enc("a"), "t")));
    expect(cluster.clock.now()).toBe(1_000);
    expect(cluster.slot(2, K)).toBeUndefined(); // its prepare and accept are still in flight
    await cluster.clock.advance(30);
    expectAllHold(cluster, K, { version: 1, text: "a" });
  });

  it("counts an acceptor slower than the round time-out as missing and retries", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    // Two acceptors slow for the first prepare only.
    let slow = 2;
    link.rule = (i, request) => (request.type === "prepare" && i > 0 && slow-- > 0 ? { delayMs: 500 } : "ok");
    const outcome = expectApplied(await cluster.clock.runUntil(proposer.change(K, write(enc("a"), "t"))));
    expect(outcome.stats.attempts).toBe(2);
    expect(outcome.stats.prepareMs).toBeGreaterThanOrEqual(100);
    await cluster.clock.advance(1_000); // the late prepares arrive: they are below the accepted ballot, harmless
    expectAllHold(cluster, K, { version: 1, text: "a" });
  });
});

describe("proposer: duplicated delivery", () => {
  // An at-least-once transport: every request reaches its acceptor twice and the reply to the first copy is lost,
  // as when a call is retried after its reply went missing. The design requires this to be harmless.
  for (const piggyback of [false, true]) {
    it(`writes are still reported applied, without conflicts (piggyback ${piggyback})`, async () => {
      const cluster = new Cluster(3);
      const { proposer, link } = cluster.proposer("p", { config: { piggyback } });
      link.rule = () => "twice";
      const first = await cluster.clock.runUntil(proposer.change(K, write(enc("a"), "t")));
      expect(first.kind).toBe("applied");
      expect(first.stats.conflicts).toBe(0);
      const second = await cluster.clock.runUntil(proposer.change(K, write(enc("b"), "t")));
      expect(second.kind).toBe("applied");
      expect(second.stats.conflicts).toBe(0);
      expectAllHold(cluster, K, { version: 2, text: "b" });
    });
  }
});

describe("proposer: conflicts", () => {
  it("a prepare rejected by a higher ballot fast-forwards past it and succeeds on retry", async () => {
    const cluster = new Cluster(3);
    const { proposer: ahead } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    const { proposer: behind } = cluster.proposer("p1");
    expectApplied(await ahead.change(K, write(enc("from p2"), "t")));
    const aheadBallot = cluster.slot(0, K)!.accepted!;

    const outcome = expectApplied(await cluster.clock.runUntil(behind.change(K, write(enc("from p1"), "t"))));
    expect(outcome.stats.conflicts).toBe(1);
    expect(outcome.stats.attempts).toBe(2);
    expect(outcome.stats.rounds).toBe(3); // rejected prepare, prepare, accept
    expect(outcome.state?.version).toBe(2);
    expect(text(outcome.previous)).toBe("from p2");
    const finalBallot = cluster.slot(0, K)!.accepted!;
    expect(finalBallot.proposer).toBe("p1");
    expect(compareBallots(finalBallot, aheadBallot)).toBeGreaterThan(0);
    expectAllHold(cluster, K, { version: 2, text: "from p1" });
  });

  it("two proposers racing on one counter: both increments land exactly once", async () => {
    const cluster = new Cluster(3);
    const { proposer: a } = cluster.proposer("a", { seed: 1 });
    const { proposer: b } = cluster.proposer("b", { seed: 2 });
    const both = Promise.all([a.change(K, increment(1)), b.change(K, increment(1))]);
    const [oa, ob] = await cluster.clock.runUntil(both);
    expectApplied(oa);
    expectApplied(ob);
    expect(new Set([text(oa.kind === "applied" ? oa.state : null), text(ob.kind === "applied" ? ob.state : null)])).toEqual(
      new Set(["1", "2"]),
    );
    expectAllHold(cluster, K, { version: 2, text: "2" });
  });
});

describe("proposer: piggybacked prepare", () => {
  it("the same proposer's second change of a key takes one round", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    const first = expectApplied(await proposer.change(K, write(enc("a"), "t")));
    expect(first.stats.rounds).toBe(2);
    expect(first.stats.fastPath).toBeNull();
    const prepares = link.count("prepare");
    const second = expectApplied(await proposer.change(K, write(enc("b"), "t")));
    expect(second.stats.rounds).toBe(1);
    expect(second.stats.fastPath).toBe("piggyback");
    expect(second.state?.version).toBe(2);
    expect(text(second.previous)).toBe("a");
    expect(link.count("prepare")).toBe(prepares);
    expectAllHold(cluster, K, { version: 2, text: "b" });
  });

  it("is not used with piggyback off", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p", { config: { piggyback: false } });
    await proposer.change(K, write(enc("a"), "t"));
    const second = expectApplied(await proposer.change(K, write(enc("b"), "t")));
    expect(second.stats.rounds).toBe(2);
    expect(second.stats.fastPath).toBeNull();
    expect(link.sent.filter((s) => s.request.type === "accept" && s.request.promiseNext !== undefined)).toEqual([]);
  });

  it("another proposer's write in between makes the piggybacked accept fail; the change is then applied on top", async () => {
    const cluster = new Cluster(3);
    const { proposer: p1 } = cluster.proposer("p1");
    const { proposer: p2 } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    expect(text(expectApplied(await p1.change(K, increment(1))).state)).toBe("1");
    expect(text(expectApplied(await p2.change(K, increment(1))).state)).toBe("2");

    const outcome = await cluster.clock.runUntil(p1.change(K, increment(1)));
    // What the code does: the rejected piggybacked accept proposed version 2; the fresh prepare finds p2's version 2
    // (not ours, not newer than ours), so the change can never have been chosen and is applied to it.
    const applied = expectApplied(outcome);
    expect(applied.stats.conflicts).toBe(1);
    expect(applied.stats.fastPath).toBeNull(); // the retry had to prepare
    expect(applied.state?.version).toBe(3);
    expect(text(applied.state)).toBe("3");
    expect(text(applied.previous)).toBe("2");
    expect(applied.previous?.origin).toMatch(/^p2:/);
    // Three increments reported applied, and the register counts exactly three.
    expectAllHold(cluster, K, { version: 3, text: "3" });
    const { proposer: reader } = cluster.proposer("r");
    expect(text(expectApplied(await cluster.clock.runUntil(reader.read(K))).state)).toBe("3");
  });
  it("two foreign writes in between: the rejected piggybacked change is never applied twice", async () => {
    const cluster = new Cluster(3);
    const { proposer: p1 } = cluster.proposer("p1");
    const { proposer: p2 } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    await p1.change(K, increment(1));
    await p2.change(K, increment(1));
    await p2.change(K, increment(1));
    const outcome = await cluster.clock.runUntil(p1.change(K, increment(1)));
    const { proposer: reader } = cluster.proposer("r", { clockOffsetMs: 1_000_000 });
    const final = expectApplied(await reader.read(K));
    // Every acceptor rejected the piggybacked accept. The recovery prepare finds version 3, whose lineage reaches
    // back to version 1 without p1's origin: the lost change is not in its past, so it is applied again, once.
    expect(outcome.kind).toBe("applied");
    expect(text(final.state)).toBe("4");
    expect(final.state?.version).toBe(4);
  });
});

describe("proposer: refused changes", () => {
  for (const piggyback of [true, false]) {
    it(`a refused CAS writes back the state it read and reports it (piggyback ${piggyback})`, async () => {
      const cluster = new Cluster(3);
      const { proposer } = cluster.proposer("p", { config: { piggyback } });
      const written = expectApplied(await proposer.change(K, write(enc("a"), "t")));
      const before = cluster.slot(0, K)!.accepted;
      const outcome = await proposer.change(K, compareAndSet(7, enc("x"), "t"));
      if (outcome.kind !== "refused") throw new Error(`expected refused, got ${outcome.kind}`);
      expect(outcome.refusal.code).toBe("version_mismatch");
      expect(outcome.refusal.current).toEqual(written.state);
      for (let i = 0; i < 3; i++) {
        const slot = cluster.slot(i, K)!;
        expect(compareBallots(slot.accepted, before)).toBeGreaterThan(0); // written back at a new ballot
        expect(slot.state).toEqual(written.state); // the same state
      }
    });
  }

  it("a refused create reports the live state and changes nothing", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("p");
    await proposer.change(K, write(enc("a"), "t"));
    const outcome = await proposer.change(K, create(enc("b"), "t"));
    expect(outcome.kind).toBe("refused");
    expectAllHold(cluster, K, { version: 1, text: "a" });
  });
});

describe("proposer: old piggybacked promises are checked before use", () => {
  it("uses an old promise after a peek shows the key did not move (peek + accept, no prepare)", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("p");
    expectApplied(await proposer.change(K, increment(1)));
    await cluster.clock.advance(5_000); // older than promiseTtlMs (1 s by default)
    const outcome = expectApplied(await cluster.clock.runUntil(proposer.change(K, increment(1))));
    expect(text(outcome.state)).toBe("2");
    expect(outcome.stats.fastPath).toBe("piggyback");
    expect(outcome.stats.rounds).toBe(2);
    expect(outcome.stats.prepareMs).toBe(0);
    expect(outcome.stats.peekMs).toBeGreaterThanOrEqual(0);
  });

  it("drops an old promise when the key moved since, instead of sending an accept bound to fail", async () => {
    const cluster = new Cluster(3);
    const { proposer: p1 } = cluster.proposer("p1");
    const { proposer: p2 } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    expectApplied(await p1.change(K, increment(1)));
    for (let i = 0; i < 12; i++) expectApplied(await p2.change(K, increment(1))); // further than a lineage reaches
    await cluster.clock.advance(5_000);
    const outcome = expectApplied(await cluster.clock.runUntil(p1.change(K, increment(1))));
    // Applied exactly once, through a full prepare (p2's ballots run ahead, so that prepare may be rejected once
    // and retried); without the check, the stale accept would be rejected and recovery could not tell: unknown.
    expect(text(outcome.state)).toBe("14");
    expect(outcome.stats.fastPath).toBeNull();
  });
});

describe("proposer: peek reads", () => {
  it("return in one round with no storage write when a majority agrees", async () => {
    const cluster = new Cluster(3);
    const { proposer: writer } = cluster.proposer("w");
    await writer.change(K, write(enc("a"), "t"));
    const { proposer: reader, link } = cluster.proposer("r");
    const writes = cluster.writes;
    const read = expectApplied(await reader.read(K));
    expect(text(read.state)).toBe("a");
    expect(read.stats.rounds).toBe(1);
    expect(read.stats.fastPath).toBe("peek");
    expect(cluster.writes).toBe(writes);
    expect(link.sent.every((s) => s.request.type === "peek")).toBe(true);
  });

  it("of an absent key write nothing either", async () => {
    const cluster = new Cluster(3);
    const { proposer } = cluster.proposer("r");
    const read = expectApplied(await proposer.read(K));
    expect(read.state).toBeNull();
    expect(read.stats.fastPath).toBe("peek");
    expect(cluster.writes).toBe(0);
  });

  it("fall back to a full round that writes back the newest state when acceptors disagree", async () => {
    const cluster = new Cluster(3);
    const { proposer: writer } = cluster.proposer("w");
    await writer.change(K, write(enc("old"), "t"));
    // Acceptor 0 alone holds a newer state (an accept that reached only it).
    const newer: RegisterState = { version: 2, value: enc("new"), contentType: "t", origin: "z:1" };
    cluster.stores[0]!.slots.set(K, { promised: null, accepted: { counter: 999_999, proposer: "z" }, state: newer });

    const { proposer: reader } = cluster.proposer("r", { clockOffsetMs: 1_000_000 }); // its prepare is not outbid
    const read = expectApplied(await reader.read(K));
    expect(read.stats.rounds).toBe(3); // peek, prepare, accept
    expect(read.stats.fastPath).toBeNull();
    expect(read.state).toEqual(newer);
    // The newer state is now chosen: every acceptor holds it, and a second read agrees at once.
    expectAllHold(cluster, K, { version: 2, text: "new" });
    const again = expectApplied(await reader.read(K));
    expect(again.stats.fastPath).toBe("peek");
    expect(again.state).toEqual(newer);
  });
});

describe("proposer: recovery of a lost accept", () => {
  /** Makes acceptors 1 and 2 fail the first accept each receives from this link. */
  function failFirstAccepts(): (i: number, request: AcceptorRequest) => Behaviour {
    const failed = new Set<number>();
    return (i, request) => {
      if (request.type === "accept" && i > 0 && !failed.has(i)) {
        failed.add(i);
        return "fail";
      }
      return "ok";
    };
  }

  it("an accept that reached one acceptor is found on retry and reported applied once", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    link.rule = failFirstAccepts();
    const outcome = expectApplied(await cluster.clock.runUntil(proposer.change(K, increment(1))));
    expect(outcome.stats.attempts).toBe(2);
    expect(text(outcome.state)).toBe("1");
    expect(outcome.state?.version).toBe(1);
    expect(outcome.previous).toBeNull();
    expectAllHold(cluster, K, { version: 1, text: "1" });
    const { proposer: reader } = cluster.proposer("r");
    expect(text(expectApplied(await cluster.clock.runUntil(reader.read(K))).state)).toBe("1");
  });

  it("an accept that reached one acceptor, which then goes down, is applied once by the retry", async () => {
    const cluster = new Cluster(3);
    const { proposer, link } = cluster.proposer("p");
    const first = failFirstAccepts();
    let accepts = 0;
    // Acceptor 0 takes the first accept, then is unreachable: the retry cannot see the lost accept.
    link.rule = (i, request) => {
      if (request.type === "accept" && i === 0 && accepts++ === 0) return "ok";
      if (i === 0) return "fail";
      return first(i, request);
    };
    const outcome = expectApplied(await cluster.clock.runUntil(proposer.change(K, increment(1))));
    expect(text(outcome.state)).toBe("1");
    expect(outcome.state?.version).toBe(1);
    const { proposer: reader } = cluster.proposer("r");
    expect(text(expectApplied(await cluster.clock.runUntil(reader.read(K))).state)).toBe("1");
  });

  it("is applied on top when another proposer wrote a state that cannot include it", async () => {
    const cluster = new Cluster(3);
    const { proposer: p1, link: l1 } = cluster.proposer("p1");
    const { proposer: p2, link: l2 } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    l1.rule = failFirstAccepts();
    const pending = p1.change(K, increment(1));
    await flush();
    expect(cluster.slot(0, K)?.state?.origin).toMatch(/^p1:/); // p1's accept reached acceptor 0 only
    expect(cluster.clock.pendingTimers).toBe(1); // p1 is backing off
    l2.set({ 0: "fail" }); // p2 cannot see acceptor 0
    expect(text(expectApplied(await p2.change(K, increment(1))).state)).toBe("1");

    const outcome = expectApplied(await cluster.clock.runUntil(pending));
    expect(text(outcome.state)).toBe("2");
    expect(outcome.previous?.origin).toMatch(/^p2:/);
    const { proposer: reader } = cluster.proposer("r");
    const read = expectApplied(await cluster.clock.runUntil(reader.read(K)));
    expect(text(read.state)).toBe("2"); // two increments, each once
    expect(read.state?.version).toBe(2);
  });

  /** p1's increment reaches acceptor 0 only; p2 then sees it there (the highest ballot) and builds on it. */
  async function loneAcceptBuiltOn() {
    const cluster = new Cluster(3);
    const { proposer: p1, link: l1 } = cluster.proposer("p1");
    const { proposer: p2 } = cluster.proposer("p2", { clockOffsetMs: 10_000 });
    l1.rule = failFirstAccepts();
    const pending = p1.change(K, increment(1));
    await flush();
    expect(cluster.clock.pendingTimers).toBe(1);
    const p2Outcome = expectApplied(await p2.change(K, increment(1)));
    expect(text(p2Outcome.state)).toBe("2");
    expect(p2Outcome.previous?.origin).toMatch(/^p1:/);
    const finalRead = async () => expectApplied(await cluster.clock.runUntil(cluster.proposer("r").proposer.read(K))).state;
    return { cluster, p2, pending, finalRead };
  }

  it("is applied, once, when another proposer built a newer state on top of it (the lineage shows it)", async () => {
    const { cluster, pending, finalRead } = await loneAcceptBuiltOn();
    const outcome = expectApplied(await cluster.clock.runUntil(pending));
    expect(text(outcome.state)).toBe("1"); // answered with the state its own change produced
    expect(outcome.state?.version).toBe(1);
    // Nothing was applied twice: the counter holds both increments once.
    const state = await finalRead();
    expect(text(state)).toBe("2");
    expect(state?.version).toBe(2);
  });

  it("is unknown when the key moved past the lineage's reach since, with nothing applied twice", async () => {
    const { cluster, p2, pending, finalRead } = await loneAcceptBuiltOn();
    // p2 moves the key on, further than a state remembers origins (LINEAGE_LENGTH).
    for (let i = 0; i < 8; i++) expectApplied(await p2.change(K, increment(1)));
    const outcome = await cluster.clock.runUntil(pending);
    expect(outcome.kind).toBe("unknown");
    const state = await finalRead();
    expect(text(state)).toBe("10");
    expect(state?.version).toBe(10);
  });
});
