import type { Clock } from "../ports.js";
import type { Outcome, Registers } from "../proposer.js";
import { isLive, versionOf, type Register } from "../register.js";

/**
 * An atomic multi-key read (a transaction of `get`s only), without intents: read every key, read them all again,
 * and answer when the second reads show each key at the version the first ones did; otherwise the second reads
 * become the first of the next try.
 *
 * Why it is a snapshot: every read goes through the transaction-aware registers, so it answers the key's state as
 * transactions define it (a pending intent is not yet there, a committed one is), and that state's version grows by
 * one with every visible change, whoever makes it. The second reads all start after the first all returned. A key
 * read at version v in both was at v during the whole gap between the two rounds (versions never come back), so at
 * any instant of that gap every key held what the reads returned: that instant is the snapshot's point, inside the
 * call. Without the second round, a transaction committing between two first reads would be seen half.
 *
 * Why not read intents first: they make a read cost a record and an intent write per key and block writers; the
 * double read costs two rounds of (usually one-round-trip) reads and blocks nobody. Under a steady stream of writes
 * to the keys it may never see two equal rounds: after `maxTries` it gives up ("moving"), and the coordinator falls
 * back to read intents (coordinator.ts), which cannot starve.
 */
export type SnapshotOutcome =
  | { readonly kind: "read"; readonly states: ReadonlyMap<string, Register>; readonly tries: number }
  | { readonly kind: "unavailable"; readonly reason: string }
  /** The keys moved between every two rounds, `maxTries` times: nothing is wrong, but no snapshot was seen. */
  | { readonly kind: "moving"; readonly tries: number };

export async function readSnapshot(
  registers: Registers,
  keys: readonly string[],
  clock: Clock,
  deadlineMs: number,
  maxTries = Infinity,
  /** Negative control for the simulator only: answer the first round unchecked. */
  bugSingleRound = false,
): Promise<SnapshotOutcome> {
  const deadline = clock.now() + deadlineMs;
  const round = async (): Promise<Map<string, Register> | string> => {
    const outcomes = await Promise.all(keys.map((key) => registers.read(key)));
    const states = new Map<string, Register>();
    for (let i = 0; i < keys.length; i++) {
      const o = outcomes[i] as Outcome;
      if (o.kind !== "applied") return `read of ${JSON.stringify(keys[i])}: ${o.kind}`;
      states.set(keys[i]!, o.state);
    }
    return states;
  };
  let first = await round();
  // One key: a single linearizable read is its own snapshot.
  if ((bugSingleRound || keys.length === 1) && typeof first !== "string") return { kind: "read", states: first, tries: 1 };
  for (let tries = 1; ; tries++) {
    if (typeof first !== "string" && (tries > maxTries || clock.now() >= deadline)) return { kind: "moving", tries };
    if (clock.now() >= deadline) return { kind: "unavailable", reason: first as string };
    const second = await round();
    const before = first;
    if (typeof before !== "string" && typeof second !== "string" && keys.every((k) => same(before.get(k) ?? null, second.get(k) ?? null))) {
      return { kind: "read", states: second, tries };
    }
    first = second;
  }
}

function same(a: Register, b: Register): boolean {
  return versionOf(a) === versionOf(b) && isLive(a) === isLive(b);
}
