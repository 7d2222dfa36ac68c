// Generates histories that are linearizable by construction: concurrent clients
// in virtual time whose ops take effect on the model at one instant strictly
// inside [call, ret]. Lost replies become unknown ops whose effect happens
// before the client gives up, long after, or never.
import type { Event, Op } from "./history.js";
import { initialState, step, type State } from "./model.js";
import { rng, type Rng } from "./rng.js";

export interface SimOptions {
  seed: number;
  /** Total number of ops invoked. */
  ops: number;
  /** Concurrent clients; 1 gives a sequential history. */
  clients: number;
  keys?: readonly string[];
  /** Fraction of ops whose reply is lost. Default 0.05. */
  unknownRate?: number;
  /** Max virtual delay from call to effect and from effect to reply. Default 10. */
  latency?: number;
  /** Version jumps: an op applied to an absent state skips up to this many versions (default 0). */
  jumps?: number;
  /** Called with every op as it takes effect (for debugging a verdict). */
  onEffect?: (e: Event, state: State) => void;
}

/** A value the generator never writes: planting it in a read is always detectable. */
export const NEVER_WRITTEN = "never-written";

const VALUES = ["a", "b", "c", "0", "1", "7", "-2", "x y"];

export function simulate(opts: SimOptions): Event[] {
  const r = rng(opts.seed);
  const keys = opts.keys ?? ["k"];
  const unknownRate = opts.unknownRate ?? 0.05;
  const latency = opts.latency ?? 10;
  const states = new Map<string, State>(keys.map((k) => [k, initialState]));
  const events: Event[] = [];

  // Agenda of future actions, run in (time, insertion) order.
  const agenda: { at: number; seq: number; run: (now: number) => void }[] = [];
  let seq = 0;
  const at = (time: number, run: (now: number) => void) => agenda.push({ at: time, seq: seq++, run });

  let invoked = 0;
  let unique = 0;
  const takeEffect = (e: Event, record: boolean) => {
    const before = states.get(e.key)!;
    let out = step(before, e.op);
    const skip = opts.jumps !== undefined && before.value === null && out.state !== before ? r.int(opts.jumps + 1) : 0;
    if (skip > 0) {
      const version = out.state.version + skip;
      out = { state: { ...out.state, version }, result: { ...out.result, version } as typeof out.result };
    }
    states.set(e.key, out.state);
    opts.onEffect?.(e, out.state);
    if (record) e.result = out.result;
  };
  const call = (client: number, now: number) => {
    if (invoked++ >= opts.ops) return;
    const key = r.pick(keys);
    const e: Event = { key, client, op: randomOp(r, states.get(key)!, () => `w${unique++}`), call: now, ret: null, result: null };
    events.push(e);
    const effectAt = now + 1 + r.int(latency);
    if (!r.chance(unknownRate)) {
      at(effectAt, () => takeEffect(e, true));
      const retAt = effectAt + 1 + r.int(latency);
      at(retAt, () => (e.ret = retAt));
      at(retAt + r.int(latency), (t) => call(client, t));
      return;
    }
    const giveUpAt = now + 2 * latency + 1 + r.int(latency);
    if (r.chance(0.5)) e.ret = giveUpAt; // otherwise the client never even noted when it gave up
    const fate = r.int(3);
    if (fate === 0) at(effectAt, () => takeEffect(e, false));
    if (fate === 1) at(giveUpAt + 1 + r.int(20 * latency), () => takeEffect(e, false));
    at(giveUpAt + r.int(latency), (t) => call(client, t));
  };

  for (let c = 0; c < opts.clients; c++) at(r.int(latency), (t) => call(c, t));
  while (agenda.length > 0) {
    let best = 0;
    agenda.forEach((a, i) => {
      const b = agenda[best]!;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
    });
    const [next] = agenda.splice(best, 1);
    next!.run(next!.at);
  }
  return events;
}

/** Ops biased towards ones that apply in `s` (CAS mostly with its version). */
export function randomOp(r: Rng, s: State, fresh: () => string): Op {
  const value = () => (r.chance(0.3) ? fresh() : r.pick(VALUES));
  const roll = r.int(100);
  if (roll < 30) return { kind: "read" };
  if (roll < 50) return { kind: "write", value: value() };
  if (roll < 65) return { kind: "cas", expect: s.version + r.pick([-1, 0, 0, 0, 1]), value: value() };
  if (roll < 73) return { kind: "create", value: value() };
  if (roll < 83) return r.chance(0.5) ? { kind: "delete" } : { kind: "delete", expect: s.version + r.pick([0, 0, 1]) };
  return { kind: "increment", by: r.chance(0.03) ? Number.MAX_SAFE_INTEGER : r.int(9) - 3 };
}
