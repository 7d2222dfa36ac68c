import type { Outcome, RoundStats } from "../core/proposer.js";
import { ApiError } from "./errors.js";

/** Seconds a client should wait before retrying an unavailable write. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * `Server-Timing`: the rounds a request took and the time spent in each phase. Time before its first round shows
 * apart: `queue` (behind earlier rounds of the key at this proposer), `linger` (a hot key's leader waiting for company);
 * `backoff` is the pauses between attempts.
 */
export function serverTiming(stats: RoundStats): string {
  const parts = [`rounds;desc="${stats.rounds}"`];
  if (stats.queueMs > 0) parts.push(`queue;dur=${stats.queueMs}`);
  if (stats.lingerMs > 0) parts.push(`linger;dur=${stats.lingerMs}`);
  if (stats.peekMs > 0 || stats.fastPath === "peek") parts.push(`peek;dur=${stats.peekMs}`);
  if (stats.prepareMs > 0) parts.push(`prepare;dur=${stats.prepareMs}`);
  if (stats.acceptMs > 0) parts.push(`accept;dur=${stats.acceptMs}`);
  if (stats.backoffMs > 0) parts.push(`backoff;dur=${stats.backoffMs}`);
  if (stats.conflicts > 0) parts.push(`conflicts;desc="${stats.conflicts}"`);
  if (stats.fastPath === "piggyback") parts.push(`piggyback`);
  return parts.join(", ");
}

/**
 * The two ways a request can end without an answer. 503: definitely not applied, safe to retry. 504: maybe
 * applied; a client must read before retrying a change that is not idempotent.
 */
export function failure(outcome: Outcome & { kind: "unavailable" | "unknown" }): ApiError {
  const timing = { "server-timing": serverTiming(outcome.stats) };
  if (outcome.kind === "unavailable" && outcome.overloaded === true) {
    return new ApiError(503, "overloaded", `the server is overloaded (${outcome.reason}); nothing was changed, retry after the Retry-After delay`, {}, {
      "retry-after": String(RETRY_AFTER_SECONDS),
      ...timing,
    });
  }
  if (outcome.kind === "unavailable") return unavailable(`no majority of acceptors could be reached (${outcome.reason}); nothing was changed`, timing);
  return outcomeUnknown(`the change may or may not have been applied (${outcome.reason}); read the key before retrying`, timing);
}

/** 503 `unavailable` with Retry-After: definitely not applied (a single-key change, or a transaction: txn.ts). */
export function unavailable(message: string, headers: Record<string, string>): ApiError {
  return new ApiError(503, "unavailable", message, {}, { "retry-after": String(RETRY_AFTER_SECONDS), ...headers });
}

/** 504 `outcome_unknown`: maybe applied. */
export function outcomeUnknown(message: string, headers: Record<string, string>): ApiError {
  return new ApiError(504, "outcome_unknown", message, {}, headers);
}
