import { DEFAULT_PROPOSER_CONFIG, type ProposerConfig } from "./core/proposer.js";
import { DEFAULT_ADMISSION_LIMITS } from "./core/admission.js";
import type { Env } from "./env.js";

export interface BallotConfig {
  /** Name of this set of acceptors in the namespace. */
  readonly cluster: string;
  readonly proposer: ProposerConfig;
  /** Location hint per acceptor index; undefined leaves placement to Cloudflare. */
  readonly locationHints: readonly (DurableObjectLocationHint | undefined)[];
  readonly maxValueBytes: number;
  readonly devAdmin: boolean;
  /** How long a deleted key's tombstone stays before garbage collection frees its rows (BALLOT_GC_DELAY_MS). */
  readonly gcDelayMs: number;
  /** Requests arriving while others run yield to the runtime once before starting (BALLOT_FAIR_INTAKE; fair-intake.ts). */
  readonly fairIntake: boolean;
  /** A watcher (blocking read, watch stream) reads its key again this often with no hint: the bound a lost hint adds (BALLOT_WATCH_RECHECK_MS). */
  readonly watchRecheckMs: number;
  /** A watch stream ends (the client resumes) at most this long after it opened, client or no client (BALLOT_WATCH_MAX_STREAM_MS). */
  readonly watchMaxStreamMs: number;
  /** Multi-key transactions (src/core/txn; transactions.ts): see docs/operations.md. */
  readonly txn: TxnConfig;
}

export interface TxnConfig {
  /** A transaction still pending this long after it began is aborted by whoever meets one of its intents (BALLOT_TXN_STALE_MS). */
  readonly staleMs: number;
  /** How long a transaction waits for a key held by another pending transaction before it answers 503 (BALLOT_TXN_LOCK_WAIT_MS). */
  readonly lockWaitMs: number;
  /** How often a request blocked by a pending transaction's intent looks again (first pause; it doubles). */
  readonly pollMs: number;
}

/** BALLOT_WATCH_MAX_STREAM_MS when unset: 10 minutes (src/http/stream-lifetime.ts says why streams end at all). */
export const DEFAULT_WATCH_MAX_STREAM_MS = 600_000;

export class ConfigError extends Error {}

const LOCATION_HINTS: readonly string[] = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"];

/** Reads and checks the Worker's vars. A bad value is an operator error: it fails loudly, never silently defaults. */
export function loadConfig(env: Env): BallotConfig {
  const acceptors = integer(env.BALLOT_ACCEPTORS, "BALLOT_ACCEPTORS", 3, 3, 7);
  if (![3, 5, 7].includes(acceptors)) throw new ConfigError("BALLOT_ACCEPTORS must be 3, 5 or 7");
  const hints = (env.BALLOT_LOCATION_HINTS ?? "").split(",").map((h) => h.trim());
  const locationHints = Array.from({ length: acceptors }, (_, i) => {
    const hint = hints[i];
    if (hint === undefined || hint === "") return undefined;
    if (!LOCATION_HINTS.includes(hint)) throw new ConfigError(`unknown location hint "${hint}" in BALLOT_LOCATION_HINTS`);
    return hint as DurableObjectLocationHint;
  });
  const cluster = env.BALLOT_CLUSTER?.trim() || "main";
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(cluster)) {
    throw new ConfigError("BALLOT_CLUSTER must be 1 to 63 lowercase letters, digits or dashes");
  }
  return {
    cluster,
    proposer: {
      ...DEFAULT_PROPOSER_CONFIG,
      acceptors,
      roundTimeoutMs: integer(env.BALLOT_ROUND_TIMEOUT_MS, "BALLOT_ROUND_TIMEOUT_MS", 1000, 1, 60_000),
      deadlineMs: integer(env.BALLOT_DEADLINE_MS, "BALLOT_DEADLINE_MS", 4000, 1, 300_000),
      piggyback: flag(env.BALLOT_PIGGYBACK, "BALLOT_PIGGYBACK", DEFAULT_PROPOSER_CONFIG.piggyback),
      admission: {
        maxInFlight: integer(env.BALLOT_MAX_IN_FLIGHT, "BALLOT_MAX_IN_FLIGHT", DEFAULT_ADMISSION_LIMITS.maxInFlight, 1, 100_000),
        maxPerKey: integer(env.BALLOT_MAX_PER_KEY, "BALLOT_MAX_PER_KEY", DEFAULT_ADMISSION_LIMITS.maxPerKey, 1, 10_000),
      },
    },
    locationHints,
    maxValueBytes: integer(env.BALLOT_MAX_VALUE_BYTES, "BALLOT_MAX_VALUE_BYTES", 1 << 20, 0, 2_000_000),
    devAdmin: env.DEV_ADMIN === "true",
    gcDelayMs: integer(env.BALLOT_GC_DELAY_MS, "BALLOT_GC_DELAY_MS", 60_000, 0, 7 * 24 * 3_600_000),
    fairIntake: flag(env.BALLOT_FAIR_INTAKE, "BALLOT_FAIR_INTAKE", true),
    watchRecheckMs: integer(env.BALLOT_WATCH_RECHECK_MS, "BALLOT_WATCH_RECHECK_MS", 5000, 100, 60_000),
    watchMaxStreamMs: integer(env.BALLOT_WATCH_MAX_STREAM_MS, "BALLOT_WATCH_MAX_STREAM_MS", DEFAULT_WATCH_MAX_STREAM_MS, 1_000, 86_400_000),
    txn: {
      staleMs: integer(env.BALLOT_TXN_STALE_MS, "BALLOT_TXN_STALE_MS", 10_000, 100, 600_000),
      lockWaitMs: integer(env.BALLOT_TXN_LOCK_WAIT_MS, "BALLOT_TXN_LOCK_WAIT_MS", 1000, 0, 60_000),
      pollMs: 10,
    },
  };
}

function flag(raw: string | undefined, name: string, fallback: boolean): boolean {
  if (raw === undefined || raw.trim() === "") return fallback;
  if (raw === "true" || raw === "false") return raw === "true";
  throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}
