import type { TxnConfig } from "../config.js";
import type { Clock } from "../core/ports.js";
import type { Registers } from "../core/proposer.js";
import { runTransaction, type TxnOutcome } from "../core/txn/coordinator.js";
import { TxnRegisters } from "../core/txn/registers.js";
import type { TxnRequest } from "../core/txn/request.js";

/** The isolate's transaction layer: what every route reads and changes keys through, and the coordinator. */
export interface Transactions {
  /**
   * Transaction-aware registers: every single-key read and change of the HTTP layer must go through these. A plain
   * change sent past them to a key holding an intent would drop the intent and break the transaction's atomicity.
   */
  readonly registers: Registers;
  /** Runs one `POST /v1/txn` under a fresh random id. */
  run(request: TxnRequest): Promise<TxnOutcome>;
}

export interface TransactionSettings extends TxnConfig {
  /** A single operation's budget (the proposer's deadline): reads and changes held by an intent give up after it. */
  readonly deadlineMs: number;
}

/**
 * Wraps `inner` (the proposer's registers with their hint and collector side effects, so a resolution that makes a
 * transaction's writes visible wakes watchers as any write does). Resolution after a commit runs in `background` (a
 * Worker's waitUntil): the answer does not wait for it, and whoever meets a leftover intent finishes it.
 */
export function transactions(
  inner: Registers,
  clock: Clock,
  settings: TransactionSettings,
  background: (work: Promise<unknown>) => void,
  prepareAhead?: (key: string) => Promise<void>,
): Transactions {
  const registers = new TxnRegisters(inner, clock, {
    staleMs: settings.staleMs,
    pollMs: settings.pollMs,
    deadlineMs: settings.deadlineMs,
    background: (work) => background(work.catch(() => {})),
  });
  const coordinator = {
    staleMs: settings.staleMs,
    lockWaitMs: settings.lockWaitMs,
    pollMs: settings.pollMs,
    readDeadlineMs: settings.deadlineMs,
  };
  return {
    registers,
    run: (request) =>
      runTransaction(
        { registers: inner, reads: registers, clock, background: (work) => background(work.catch(() => {})), ...(prepareAhead === undefined ? {} : { prepareAhead }) },
        coordinator,
        newTxnId(),
        request,
      ),
  };
}

/** 128 random bits: ids must never collide, or one transaction's resolvers could decide another's intents. */
function newTxnId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
