import type { Acceptor } from "./acceptor/acceptor-object.js";
import type { Collector } from "./collector/collector-object.js";

/** Bindings and vars of the Worker (see wrangler.toml). Vars arrive as strings and are checked in config.ts. */
export interface Env {
  ACCEPTOR: DurableObjectNamespace<Acceptor>;
  /** One garbage collector of deleted keys per shard (src/collector). */
  COLLECTOR: DurableObjectNamespace<Collector>;
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
  DEV_ADMIN?: string;
  /** Secret: comma-separated bearer tokens (several during a rotation). Unset: no authentication (local dev). */
  BALLOT_TOKENS?: string;
  /** "true" in production: refuse to serve without BALLOT_TOKENS. */
  BALLOT_REQUIRE_TOKENS?: string;
}
