import type { Change } from "../../src/core/change.js";
import { nextState } from "../../src/core/change.js";
import { LOCK_CONTENT_TYPE, acquire, leaseOf, release, renew } from "../../src/core/lock.js";
import type { Outcome, ProposerConfig } from "../../src/core/proposer.js";
import { Cluster, type ProposerNode } from "./cluster.js";
import type { LinkFaults } from "./network.js";
import { Rng } from "./rng.js";
import { Scheduler } from "./scheduler.js";

/**
 * Locks under the simulator: contenders acquire, renew and release one lock through proposers that die, over a
 * faulty network, with clocks that may be skewed. Checked: fencing tokens strictly increase (always), and with sane
 * clocks no two holders' leases overlap.
 */
export interface LockScenario {
  readonly name: string;
  readonly acceptors: 3 | 5;
  readonly proposers: number;
  readonly contenders: number;
  /** Each proposer's clock is off by up to this much; 0 means sane clocks (the overlap check applies). */
  readonly clockSkewMs: number;
  readonly links: LinkFaults;
  /** Chance per operation that its proposer is armed to die at its next accept round. */
  readonly killProposer: number;
  /** Chance per operation that a holder crashes: it forgets its lease and comes back as a new owner. */
  readonly holderCrash: number;
  readonly durationMs: number;
  readonly ttlMs: readonly [number, number];
  /** Negative controls: one contender's clock runs far ahead, or acquisitions reuse token 1. */
  readonly bug?: "fast-clock" | "reused-token";
}

export interface Grant {
  readonly owner: string;
  readonly token: number;
  readonly invoked: number;
  readonly returned: number;
  readonly expiresAt: number;
}

/**
 * An acknowledged renewal (its new expiry) or one with unknown outcome (`expiresAt` null), at its invocation: a
 * holder renews one at a time, so invocation order is the order they took effect in.
 */
export interface Renewal {
  readonly owner: string;
  readonly token: number;
  readonly expiresAt: number | null;
  readonly at: number;
}

export interface LockReport {
  readonly grants: readonly Grant[];
  readonly violations: readonly string[];
  readonly unknown: number;
}

const LOCK_KEY = "lock";

const CONFIG: Omit<ProposerConfig, "acceptors"> = {
  roundTimeoutMs: 40,
  deadlineMs: 300,
  backoff: { baseMs: 2, maxMs: 40 },
  peekReads: true,
  piggyback: true,
  promiseCacheSize: 100,
  promiseTtlMs: 100,
  maxBatch: 16,
  pollMs: 1,
};

export async function runLockScenario(scenario: LockScenario, seed: number, log?: (line: string) => void): Promise<LockReport> {
  const rng = new Rng(seed);
  const scheduler = new Scheduler();
  const cluster = new Cluster(
    { acceptors: scenario.acceptors, proposers: scenario.proposers, config: { ...CONFIG, acceptors: scenario.acceptors }, clockSkewMs: scenario.clockSkewMs, bug: null },
    scheduler,
    rng.fork("cluster"),
  );
  cluster.network.links = scenario.links;
  const callBound = CONFIG.deadlineMs + 3 * CONFIG.roundTimeoutMs + 20;
  const grants: Grant[] = [];
  const renewals: Renewal[] = [];
  const releases: { owner: string; token: number; invoked: number }[] = [];
  const unknownAcquires: number[] = [];
  let unknown = 0;

  const call = async (node: ProposerNode, change: Change, who: string): Promise<Outcome | "timeout"> => {
    const invoked = scheduler.now;
    const outcome = await Promise.race([node.proposer.change(LOCK_KEY, change), scheduler.sleep(callBound).then(() => "timeout" as const)]);
    if (log !== undefined) {
      const what = outcome === "timeout" ? "timeout" : outcome.kind === "applied" ? `applied v${outcome.state?.version} ${JSON.stringify(leaseOf(outcome.state) ?? null)}` : outcome.kind === "refused" ? `refused ${outcome.refusal.code}` : outcome.kind;
      log(`${invoked.toFixed(1)}-${scheduler.now.toFixed(1)} ${who} ${change.name} via ${node.id}: ${what}`);
    }
    return outcome;
  };

  const contender = async (index: number) => {
    const r = rng.fork(`contender-${index}`);
    let incarnation = 0;
    let owner = `c${index}.0`;
    let held: { token: number } | null = null;
    while (scheduler.now < scenario.durationMs) {
      await scheduler.sleep(r.between(0, 15));
      const node = cluster.node(r.int(cluster.proposerSlots));
      if (r.chance(scenario.killProposer)) node.killOnAccept = r.chance(0.5) ? "before-accept" : "after-one-accept";
      if (held !== null && r.chance(scenario.holderCrash)) {
        held = null;
        owner = `c${index}.${++incarnation}`;
        continue;
      }
      const ttl = r.between(scenario.ttlMs[0], scenario.ttlMs[1]);
      const fastClock = scenario.bug === "fast-clock" && index === 0 ? 10 * scenario.ttlMs[1] : 0;
      const now = node.clock.now() + fastClock;
      const invoked = scheduler.now;
      if (held === null) {
        const change = scenario.bug === "reused-token" ? acquireWithTokenOne(owner, ttl, now) : acquire(owner, ttl, now);
        const outcome = await call(node, change, owner);
        if (outcome !== "timeout" && outcome.kind === "applied") {
          const lease = leaseOf(outcome.state);
          if (lease === undefined) throw new Error("an applied acquire left no lease");
          grants.push({ owner, token: lease.token, invoked, returned: scheduler.now, expiresAt: lease.expiresAt });
          held = { token: lease.token };
        } else if (outcome === "timeout" || outcome.kind === "unknown") {
          unknown++;
          unknownAcquires.push(invoked);
        }
      } else if (r.chance(0.75)) {
        const outcome = await call(node, renew(owner, held.token, ttl, now), `${owner} t${held.token} ttl ${ttl.toFixed(0)} now ${now.toFixed(1)}`);
        if (outcome !== "timeout" && outcome.kind === "applied") {
          const lease = leaseOf(outcome.state);
          if (lease !== undefined) renewals.push({ owner, token: held.token, expiresAt: lease.expiresAt, at: invoked });
        } else if (outcome !== "timeout" && outcome.kind === "refused") held = null;
        else if (outcome === "timeout" || outcome.kind === "unknown") {
          unknown++;
          // It may or may not have moved the expiry (a renewal can also shorten a lease).
          renewals.push({ owner, token: held.token, expiresAt: null, at: invoked });
        }
      } else {
        releases.push({ owner, token: held.token, invoked });
        const outcome = await call(node, release(owner, held.token), `${owner} t${held.token}`);
        if (outcome === "timeout" || outcome.kind === "unknown") unknown++;
        held = null;
      }
    }
  };

  let done = 0;
  const contenders = Array.from({ length: scenario.contenders }, (_, i) => contender(i).then(() => done++));
  const finished = await scheduler.runUntil(() => done === contenders.length, scenario.durationMs + 4 * callBound);
  const violations: string[] = [];
  if (!finished) violations.push(`liveness: ${contenders.length - done} contenders still running`);
  violations.push(...checkTokens(grants));
  if (scenario.clockSkewMs === 0) violations.push(...checkNoOverlap(grants, renewals, releases, unknownAcquires));
  return { grants, violations, unknown };
}

/** Fencing: one owner per token, and a grant that began after another returned has a higher token. */
export function checkTokens(grants: readonly Grant[]): string[] {
  const owners = new Map<number, string>();
  const violations: string[] = [];
  for (const g of grants) {
    const owner = owners.get(g.token);
    if (owner !== undefined && owner !== g.owner) violations.push(`token ${g.token} granted to ${owner} and ${g.owner}`);
    owners.set(g.token, g.owner);
  }
  for (const a of grants) {
    for (const b of grants) {
      if (a.returned < b.invoked && a.token !== b.token && !(a.token < b.token)) {
        violations.push(`token order: ${a.owner} got ${a.token} (returned ${a.returned}) before ${b.owner} got ${b.token}`);
      }
    }
  }
  return violations.slice(0, 5);
}

/**
 * Mutual exclusion with sane clocks: a new owner's acquisition, judged at its own invocation time, comes after the
 * expiry the previous owner last had acknowledged (a renewal may also shorten a lease), unless that owner released.
 * A renewal or acquisition with unknown outcome in between may have moved the lease on unseen: then the pair is
 * skipped, or only the weaker bound (the grant's return) is checked.
 */
export function checkNoOverlap(
  grants: readonly Grant[],
  renewals: readonly Renewal[],
  releases: readonly { owner: string; token: number; invoked: number }[],
  unknownAcquires: readonly number[],
): string[] {
  const byToken = new Map<number, Grant[]>();
  for (const g of grants) byToken.set(g.token, [...(byToken.get(g.token) ?? []), g]);
  const tokens = [...byToken.keys()].sort((a, b) => a - b);
  const violations: string[] = [];
  for (let i = 1; i < tokens.length; i++) {
    const before = byToken.get(tokens[i - 1]!)!;
    const next = byToken.get(tokens[i]!)!.reduce((a, b) => (a.invoked <= b.invoked ? a : b));
    const holder = before[0]!;
    if (holder.owner === next.owner) continue;
    const released = releases.some((r) => r.owner === holder.owner && r.token === holder.token && r.invoked < next.returned);
    if (released) continue;
    const events = [
      ...before.map((g) => ({ at: g.invoked, expiresAt: g.expiresAt as number | null })),
      ...renewals.filter((r) => r.owner === holder.owner && r.token === holder.token && r.at < next.returned),
    ].sort((a, b) => a.at - b.at);
    const last = events[events.length - 1];
    if (last === undefined || last.expiresAt === null) continue;
    const unseen = unknownAcquires.some((t) => t >= holder.invoked && t < next.returned);
    const bound = unseen ? next.returned : next.invoked;
    if (last.expiresAt > bound) {
      violations.push(`overlap: ${holder.owner} (token ${holder.token}) held until ${last.expiresAt}, ${next.owner} (token ${next.token}) acquired at ${bound}`);
    }
  }
  return violations.slice(0, 5);
}

/** Negative control: an acquire that hands out token 1 every time (breaks the fencing order). */
function acquireWithTokenOne(owner: string, ttlMs: number, now: number): Change {
  const correct = acquire(owner, ttlMs, now);
  return {
    name: "lock.acquire(broken)",
    mutates: true,
    apply(current, origin) {
      const decision = correct.apply(current, origin);
      if (decision.kind !== "apply") return decision;
      const value = new TextEncoder().encode(JSON.stringify({ owner, token: 1, expiresAt: now + ttlMs }));
      return { kind: "apply", next: nextState(current, value, LOCK_CONTENT_TYPE, origin) };
    },
  };
}

export { LOCK_KEY };
