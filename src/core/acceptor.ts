import { compareBallots, type Ballot } from "./ballot.js";
import type { AcceptorReply, AcceptorRequest, Accept, Prepare } from "./messages.js";
import type { Register } from "./register.js";

/** What an acceptor keeps per key. `promised` is only kept while it is above `accepted`. */
export interface Slot {
  readonly promised: Ballot | null;
  readonly accepted: Ballot | null;
  readonly state: Register;
}

export const EMPTY_SLOT: Slot = { promised: null, accepted: null, state: null };

/**
 * Durable per-key storage of one acceptor. `write` must be durable before the acceptor's reply leaves
 * (in a Durable Object the output gate guarantees it; in the simulator the map survives crashes).
 */
export interface SlotStore {
  read(key: string): Slot | undefined;
  write(key: string, slot: Slot): void;
}

/**
 * The acceptor rules of CASPaxos. Every handler is idempotent for a repeated message: duplicates and reordering
 * are harmless.
 */
export function handleRequest(store: SlotStore, request: AcceptorRequest): AcceptorReply {
  const slot = store.read(request.key) ?? EMPTY_SLOT;
  switch (request.type) {
    case "prepare":
      return onPrepare(store, slot, request);
    case "accept":
      return onAccept(store, slot, request);
    case "peek":
      // A read needs the value, not the lineage: leave it out of the reply.
      return { type: "peeked", accepted: slot.accepted, state: withoutLineage(slot.state) };
  }
}

function onPrepare(store: SlotStore, slot: Slot, { key, ballot }: Prepare): AcceptorReply {
  const vsPromised = compareBallots(ballot, slot.promised);
  if (vsPromised < 0 || compareBallots(ballot, slot.accepted) <= 0) return rejected(slot);
  // Equal to the promise: ballots are unique per proposer, so this is a repeat of the same prepare. Answer again.
  if (vsPromised > 0) store.write(key, { ...slot, promised: ballot });
  return { type: "promised", accepted: slot.accepted, state: slot.state };
}

function onAccept(store: SlotStore, slot: Slot, { key, ballot, state, promiseNext }: Accept): AcceptorReply {
  const vsAccepted = compareBallots(ballot, slot.accepted);
  if (vsAccepted < 0) return rejected(slot);
  // A proposer sends one accept per ballot: an equal ballot is a repeat, confirmed again without change (before the
  // promise check: the first delivery may have raised the promise to its piggybacked next ballot). Storing a
  // different state at a ballot at or below the accepted one is the classic bug that lets two changes both win.
  if (vsAccepted === 0) return { type: "accepted" };
  if (compareBallots(ballot, slot.promised) < 0) return rejected(slot);
  const promised = promiseNext !== undefined && compareBallots(promiseNext, ballot) > 0 ? promiseNext : null;
  store.write(key, { promised, accepted: ballot, state });
  return { type: "accepted" };
}

function withoutLineage(state: Register): Register {
  if (state === null || state.lineage === undefined) return state;
  const { lineage: _, ...rest } = state;
  return rest;
}

function rejected(slot: Slot): AcceptorReply {
  return { type: "rejected", promised: slot.promised, accepted: slot.accepted };
}
