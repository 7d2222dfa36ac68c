import type { Acceptor } from "./acceptor/acceptor-object.js";
import type { Collector } from "./collector/collector-object.js";
import type { IntentSweeper } from "./collector/intent-sweeper-object.js";
import type { LayoutReconfigurer } from "./reconfigurer/reconfigurer-object.js";
import type { WatchHub } from "./watch/watch-hub.js";

/** Bindings and vars of the Worker (see wrangler.toml). Vars arrive as strings and are checked in config.ts. */
export interface Env {
  ACCEPTOR: DurableObjectNamespace<Acceptor>;
  /** One garbage collector of deleted keys per shard (src/collector). */
  COLLECTOR: DurableObjectNamespace<Collector>;
  /** One sweeper of leftover transaction intents per group, awake only while intents may exist (src/collector). */
  INTENT_SWEEPER: DurableObjectNamespace<IntentSweeper>;
  /** The cluster's one reconfigurer: runs layout changes in the background (src/reconfigurer). */
  RECONFIGURER: DurableObjectNamespace<LayoutReconfigurer>;
  /** Watch hubs: relay change hints to the Workers serving watchers (src/watch), HUB_COUNT per cluster. */
  WATCH_HUB: DurableObjectNamespace<WatchHub>;
  BALLOT_CLUSTER?: string;
  BALLOT_ACCEPTORS?: string;
  BALLOT_LOCATION_HINTS?: string;
  BALLOT_ROUND_TIMEOUT_MS?: string;
  BALLOT_DEADLINE_MS?: string;
  BALLOT_MAX_IN_FLIGHT?: string;
  BALLOT_MAX_PER_KEY?: string;
  BALLOT_PIGGYBACK?: string;
  BALLOT_FAIR_INTAKE?: string;
  BALLOT_MAX_VALUE_BYTES?: string;
  BALLOT_GC_DELAY_MS?: string;
  /** How often a watcher rechecks its key with no hint (ms, default 5000). */
  BALLOT_WATCH_RECHECK_MS?: string;
  /** The longest a watch stream lives before it ends and its client resumes (ms, default 600000). */
  BALLOT_WATCH_MAX_STREAM_MS?: string;
  BALLOT_TXN_STALE_MS?: string;
  BALLOT_TXN_LOCK_WAIT_MS?: string;
  DEV_ADMIN?: string;
  /** Secret: comma-separated bearer tokens (several during a rotation). Unset: no authentication (local dev). */
  BALLOT_TOKENS?: string;
  /** "true" in production: refuse to serve without BALLOT_TOKENS (or BALLOT_ACCESS / BALLOT_ADMIN_TOKENS). */
  BALLOT_REQUIRE_TOKENS?: string;
  /** Secret: JSON array of scoped grants `{"name", "sha256", "read", "write", "admin"}` (src/http/access/policy.ts). */
  BALLOT_ACCESS?: string;
  /** Secret: comma-separated tokens for the operator's routes only. */
  BALLOT_ADMIN_TOKENS?: string;
  /** The rate limiting binding: requests per token (by grant name) per period. Absent: no limit. */
  BALLOT_RATE_LIMIT?: RateLimit;
  /** The binding's period in seconds as configured in wrangler.toml ("10" or "60"): what a 429's Retry-After says. */
  BALLOT_RATE_PERIOD_S?: string;
}
