import { utf8Bytes } from "../core/key-hash.js";
import { grantNameOf } from "./access/guard.js";
import { errorCodes } from "./errors.js";
import { pathOf } from "./request-path.js";
import { patternMatches } from "./route.js";

type App = (request: Request) => Promise<Response>;

export interface RoutePattern {
  readonly pattern: string;
}

/** One structured log line per request. Keys and lock names appear only as a hash prefix, never in clear. */
export interface RequestLogLine {
  readonly msg: "request";
  readonly method: string;
  /** The route pattern (`/v1/keys/:key`), or null for no route (404). */
  readonly route: string | null;
  /** FNV-1a (64-bit, 16 hex digits) of the key (or lock name), when the route has one: for correlation, not secrecy. */
  readonly keyHash?: string;
  /** A transaction's id (`POST /v1/txn`, from its X-Ballot-Txn header): what its intents and records name. */
  readonly txn?: string;
  /** The name of the token's grant (access/policy.ts), never the token; absent without tokens or a valid one. */
  readonly token?: string;
  readonly status: number;
  /** "ok", "not_modified", or the error code (`precondition_failed`, `unavailable`, `outcome_unknown`, ...). */
  readonly outcome: string;
  readonly rounds?: number;
  readonly conflicts?: number;
  readonly fastPath?: "peek" | "piggyback";
  /** Time waiting for a fair turn before the request started (fair-intake.ts), when it did. */
  readonly intakeMs?: number;
  /** Time queued before the first round (behind earlier rounds of the key), when there was any. */
  readonly queueMs?: number;
  /** A hot key's leader waiting for company, when it did. */
  readonly lingerMs?: number;
  /** Pauses between attempts, when there were any. */
  readonly backoffMs?: number;
  readonly latencyMs: number;
}

/**
 * Wraps the app (outermost, so 401s are logged too) and writes one JSON line per request with `console.log`. Rounds,
 * conflicts and the fast path come from the response's `Server-Timing`; the outcome from its JSON error code.
 */
export function withRequestLog(
  app: App,
  routes: readonly RoutePattern[],
  log: (line: RequestLogLine) => void = (line) => console.log(JSON.stringify(line)),
  now: () => number = () => Date.now(),
): App {
  const compiled = routes.map((r) => ({ pattern: r.pattern, segments: r.pattern.split("/") }));
  return async (request) => {
    const started = now();
    const segments = pathOf(request).split("/");
    const matched = compiled.find((r) => patternMatches(r.segments, segments));
    const secret = matched === undefined ? undefined : secretParam(matched.segments, segments);
    const keyHash = secret === undefined ? undefined : keyHashOf(decodeOrRaw(secret));
    const response = await app(request);
    const token = grantNameOf(request);
    const txn = response.headers.get("x-ballot-txn");
    const line: RequestLogLine = {
      msg: "request",
      method: request.method,
      route: matched?.pattern ?? null,
      ...(keyHash === undefined ? {} : { keyHash }),
      ...(txn === null ? {} : { txn }),
      ...(token === undefined ? {} : { token }),
      status: response.status,
      outcome: await outcomeOf(response),
      ...timingOf(response.headers.get("server-timing")),
      latencyMs: now() - started,
    };
    try {
      log(line);
    } catch {
      // Logging never fails a request.
    }
    return response;
  };
}

/**
 * The production sink: `console.log` of the JSON line on a timer of its own, kept alive by `waitUntil`, so it runs
 * after the response has gone out. Formatting and writing a log line cost about a tenth of a local read; the client
 * need not wait for it.
 */
export function consoleLogAfterResponse(waitUntil: (promise: Promise<unknown>) => void): (line: RequestLogLine) => void {
  return (line) =>
    waitUntil(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          try {
            console.log(JSON.stringify(line));
          } finally {
            resolve();
          }
        }, 0),
      ),
    );
}

/** The raw (percent-encoded) `:key` or `:name` segment, if the route has one. */
function secretParam(pattern: readonly string[], segments: readonly string[]): string | undefined {
  const i = pattern.findIndex((p) => p === ":key" || p === ":name");
  return i < 0 ? undefined : segments[i];
}

function decodeOrRaw(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // an undecodable key is refused by the route; hash its raw form
  }
}

/**
 * FNV-1a, 64-bit, as 16 hex digits. Synchronous and cheap on the hot path (a digest through crypto.subtle cost
 * about a tenth of a local read); like any unkeyed hash it hides a key from casual reading, not from guessing.
 */
export function keyHashOf(key: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const bytes = utf8Bytes(key);
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ (bytes[i] as number)) >>> 0;
    // h *= 0x100000001b3, i.e. h * 0x1b3 + (h << 40), in two 32-bit halves.
    const low = lo * 0x1b3;
    const carry = Math.floor(low / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

async function outcomeOf(response: Response): Promise<string> {
  if (response.status < 300) return "ok";
  if (response.status === 304) return "not_modified";
  const known = errorCodes.get(response);
  if (known !== undefined) return known;
  if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) return `http_${response.status}`;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : `http_${response.status}`;
  } catch {
    return `http_${response.status}`;
  }
}

type Timing = Pick<RequestLogLine, "rounds" | "conflicts" | "fastPath" | "intakeMs" | "queueMs" | "lingerMs" | "backoffMs">;

function timingOf(header: string | null): Timing {
  if (header === null) return {};
  const rounds = /(?:^|,\s*)rounds;desc="(\d+)"/.exec(header);
  const conflicts = /(?:^|,\s*)conflicts;desc="(\d+)"/.exec(header);
  const fastPath =
    /(?:^|,\s*)piggyback(?:,|$)/.test(header) ? "piggyback"
    : rounds?.[1] === "1" && /(?:^|,\s*)peek;/.test(header) ? "peek"
    : undefined;
  return {
    ...(rounds ? { rounds: Number(rounds[1]) } : {}),
    conflicts: conflicts ? Number(conflicts[1]) : rounds ? 0 : undefined,
    ...(fastPath ? { fastPath } : {}),
    ...durationOf(header, INTAKE_DUR, "intakeMs"),
    ...durationOf(header, QUEUE_DUR, "queueMs"),
    ...durationOf(header, LINGER_DUR, "lingerMs"),
    ...durationOf(header, BACKOFF_DUR, "backoffMs"),
  } as Timing;
}

// Compiled once: every request's log line reads its Server-Timing.
const INTAKE_DUR = /(?:^|,\s*)intake;dur=(\d+(?:\.\d+)?)/;
const QUEUE_DUR = /(?:^|,\s*)queue;dur=(\d+(?:\.\d+)?)/;
const LINGER_DUR = /(?:^|,\s*)linger;dur=(\d+(?:\.\d+)?)/;
const BACKOFF_DUR = /(?:^|,\s*)backoff;dur=(\d+(?:\.\d+)?)/;

function durationOf(header: string, metric: RegExp, field: string): Record<string, number> {
  const m = metric.exec(header);
  return m ? { [field]: Number(m[1]) } : {};
}
