import { compareBallots, maxBallot, type Ballot } from "./ballot.js";
import type { AcceptorReply, AcceptorRequest, Accept, FindIntents, Forget, Install, List, Prepare, Scan } from "./messages.js";
import { vshardOf } from "./layout/vshard.js";
import { COLLECTED_ORIGIN, isLive, type Register } from "./register.js";

/** What an acceptor keeps per key. `promised` is only kept while it is above `accepted`. */
export interface Slot {
  readonly promised: Ballot | null;
  readonly accepted: Ballot | null;
  readonly state: Register;
}

export const EMPTY_SLOT: Slot = { promised: null, accepted: null, state: null };

/**
 * What an acceptor remembers of the rows it forgot (garbage-collected deleted keys), per group of keys: the highest
 * ballot those rows had promised or accepted and the highest version they held. Stores keep one floor per bucket of
 * keys, so a forgotten key costs nothing of its own.
 */
export interface Floor {
  readonly ballot: Ballot | null;
  readonly version: number;
}

export const NO_FLOOR: Floor = { ballot: null, version: 0 };

/**
 * Durable per-key storage of one acceptor. `write` and `remove` must be durable before the acceptor's reply leaves
 * (in a Durable Object the output gate guarantees it; in the simulator the map survives crashes).
 */
export interface SlotStore {
  read(key: string): Slot | undefined;
  write(key: string, slot: Slot): void;
  /** The floor of the key's bucket (NO_FLOOR while nothing of the bucket was forgotten). */
  floor(key: string): Floor;
  /** Deletes the key's row and raises its bucket's floor to at least `floor`, in one durable write. */
  remove(key: string, floor: Floor): void;
  /** The lowest epoch served for a vshard: 0 until one is installed (rows from before epochs are epoch 0's). */
  minEpoch(vshard: number): number;
  /**
   * Raises the lowest epoch of these vshards to at least `epoch` and every floor to at least `floor`, in one durable
   * write. (Floors are per bucket of keys, and buckets cut across vshards: raising them all is the simple
   * over-approximation; a never-written key then reads as collected at the floor's version, which is harmless.)
   */
  install(vshards: readonly number[], epoch: number, floor: Floor): void;
  /** Up to `limit` keys with a row, in key order, after `after` (null: from the first). Reads only. */
  keysAfter(after: string | null, limit: number): readonly string[];
  /** The highest floor of any bucket (NO_FLOOR when nothing was forgotten). */
  highestFloor(): Floor;
  /**
   * Up to `limit` keys with a row that start with `prefix`, after `after` (null: from the first), in the order of
   * their UTF-8 bytes (listing/key-order.ts), each with the version of its accepted state (0 for none). A range over
   * the keys, not a scan of them all. Reads only.
   */
  keysUnder(prefix: string, after: string | null, limit: number): readonly KeyVersion[];
  /** The highest epoch served for any vshard (0 while none was installed). */
  highestEpoch(): number;
  /**
   * Up to `limit` keys whose accepted state holds a transaction's intent, after `after` (null: from the first), in
   * the order of their UTF-8 bytes. An index of those rows alone, not a scan of every key (the background sweep asks
   * it every few seconds while transactions run). Reads only.
   */
  keysWithIntents(after: string | null, limit: number): readonly string[];
}

/**
 * A key without a row: never written, or forgotten. It reads as a tombstone at the floor's version that was accepted
 * at no ballot (so any real accepted state elsewhere outranks it: a forgotten row never hides a newer change), and as
 * promised at the floor's ballot (so a delayed accept or prepare from before the collection is refused: it cannot
 * bring back the value the tombstone deleted). A recreated key continues above the floor's version.
 */
/** A key with a row and the version of the state it accepted (a scan's answer). */
export interface KeyVersion {
  readonly key: string;
  readonly version: number;
}

export function absentSlot(floor: Floor): Slot {
  if (floor.ballot === null && floor.version === 0) return EMPTY_SLOT;
  const state: Register = floor.version === 0 ? null : { version: floor.version, value: null, contentType: "", origin: COLLECTED_ORIGIN };
  return { promised: floor.ballot, accepted: null, state };
}

/**
 * The acceptor rules of CASPaxos. Every handler is idempotent for a repeated message: duplicates and reordering
 * are harmless.
 */
export function handleRequest(store: SlotStore, request: AcceptorRequest): AcceptorReply {
  if (request.type === "install") return onInstall(store, request);
  if (request.type === "list") return onList(store, request);
  if (request.type === "scan") return onScan(store, request);
  if (request.type === "intents") return onIntents(store, request);
  // Fencing comes first: a message of an older epoch must change nothing, so that its proposer may safely retry.
  const served = store.minEpoch(vshardOf(request.key));
  if ((request.epoch ?? 0) < served) return { type: "stale", epoch: served };
  const slot = store.read(request.key) ?? absentSlot(store.floor(request.key));
  switch (request.type) {
    case "prepare":
      return onPrepare(store, slot, request);
    case "accept":
      return onAccept(store, slot, request);
    case "peek":
      // A read needs the value, not the lineage: leave it out of the reply.
      return { type: "peeked", accepted: slot.accepted, state: withoutLineage(slot.state) };
    case "forget":
      return onForget(store, request);
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

/**
 * Forgets a row only while it holds exactly what the collector wrote to every acceptor: a non-live state accepted at
 * the collector's ballot. Any newer accept means the key changed since, and the row stays. An outstanding promise
 * is kept in the floor, so the forgotten row still refuses what the row refused.
 */
function onForget(store: SlotStore, { key, ballot }: Forget): AcceptorReply {
  const row = store.read(key);
  if (row === undefined) return { type: "forgotten" };
  // A tombstone holding a transaction's intent is not garbage: the transaction may still create the key.
  if (compareBallots(row.accepted, ballot) !== 0 || isLive(row.state) || row.state?.intent !== undefined) return rejected(row);
  const floor = store.floor(key);
  store.remove(key, {
    ballot: maxBallot(floor.ballot, maxBallot(row.promised, row.accepted)),
    version: Math.max(floor.version, row.state?.version ?? 0),
  });
  return { type: "forgotten" };
}

function onInstall(store: SlotStore, { vshards, epoch, floor }: Install): AcceptorReply {
  const raises = vshards.some((v) => store.minEpoch(v) < epoch);
  const current = store.highestFloor();
  const floorRaises = floor !== undefined && (compareBallots(floor.ballot, current.ballot) > 0 || floor.version > current.version);
  if (raises || floorRaises) store.install(vshards, epoch, floor ?? NO_FLOOR);
  return { type: "installed" };
}

function onList(store: SlotStore, { vshards, after, limit }: List): AcceptorReply {
  const wanted = new Set(vshards);
  const scanned = store.keysAfter(after, Math.max(1, limit));
  const keys = scanned.filter((key) => wanted.has(vshardOf(key)));
  const next = scanned.length < Math.max(1, limit) ? null : (scanned[scanned.length - 1] ?? null);
  return { type: "listed", keys, next, floor: store.highestFloor() };
}

/** Not fenced (see Scan): it writes nothing, and what it finds is only candidates for fenced reads. */
function onScan(store: SlotStore, { prefix, after, limit }: Scan): AcceptorReply {
  const n = Math.max(1, limit);
  const rows = store.keysUnder(prefix, after, n);
  return { type: "scanned", keys: rows.map((r) => r.key), versions: rows.map((r) => r.version), full: rows.length >= n, epoch: store.highestEpoch() };
}

/** Not fenced either (see FindIntents): the sweep reads every key it finds through the proposer, which is. */
function onIntents(store: SlotStore, { after, limit }: FindIntents): AcceptorReply {
  const n = Math.max(1, limit);
  const keys = store.keysWithIntents(after, n);
  return { type: "intent-keys", keys, full: keys.length >= n, epoch: store.highestEpoch() };
}

function withoutLineage(state: Register): Register {
  if (state === null || state.lineage === undefined) return state;
  const { lineage: _, ...rest } = state;
  return rest;
}

function rejected(slot: Slot): AcceptorReply {
  return { type: "rejected", promised: slot.promised, accepted: slot.accepted };
}
