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
  /** First 16 hex digits of SHA-256 of the key (or lock name), when the route has one. */
  readonly keyHash?: string;
  readonly status: number;
  /** "ok", "not_modified", or the error code (`precondition_failed`, `unavailable`, `outcome_unknown`, ...). */
  readonly outcome: string;
  readonly rounds?: number;
  readonly conflicts?: number;
  readonly fastPath?: "peek" | "piggyback";
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
    const segments = new URL(request.url).pathname.split("/");
    const matched = compiled.find((r) => matches(r.segments, segments));
    const secret = matched === undefined ? undefined : secretParam(matched.segments, segments);
    const keyHash = secret === undefined ? undefined : hashPrefix(secret);
    const response = await app(request);
    const line: RequestLogLine = {
      msg: "request",
      method: request.method,
      route: matched?.pattern ?? null,
      ...(keyHash === undefined ? {} : { keyHash: await keyHash }),
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

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => p.startsWith(":") || p === segments[i]);
}

/** The raw (percent-encoded) `:key` or `:name` segment, if the route has one. */
function secretParam(pattern: readonly string[], segments: readonly string[]): string | undefined {
  const i = pattern.findIndex((p) => p === ":key" || p === ":name");
  return i < 0 ? undefined : segments[i];
}

async function hashPrefix(raw: string): Promise<string> {
  let key = raw;
  try {
    key = decodeURIComponent(raw);
  } catch {
    // An undecodable key is refused by the route; hash its raw form.
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function outcomeOf(response: Response): Promise<string> {
  if (response.status < 300) return "ok";
  if (response.status === 304) return "not_modified";
  if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) return `http_${response.status}`;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === "string" ? body.error.code : `http_${response.status}`;
  } catch {
    return `http_${response.status}`;
  }
}

function timingOf(header: string | null): Pick<RequestLogLine, "rounds" | "conflicts" | "fastPath"> {
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
  } as Pick<RequestLogLine, "rounds" | "conflicts" | "fastPath">;
}
