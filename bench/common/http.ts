/**
 * The HTTP contract shared by the benchmark's comparison systems (bench/baseline, bench/skeleton), for the routes the
 * benchmark measures: GET / PUT (plain, If-Match: "<version>", If-Match: *, If-None-Match: *) and
 * POST .../increment. Same statuses, headers and JSON bodies as Ballot's src/http for those routes.
 */

export interface State {
  readonly version: number;
  readonly value: ArrayBuffer | Uint8Array | null;
  readonly contentType: string;
}

export type Condition =
  | { readonly kind: "none" }
  | { readonly kind: "version"; readonly version: number }
  | { readonly kind: "exists" }
  | { readonly kind: "absent" };

/** A change of one register: the next state, or a refusal with the current state. */
export type Change =
  | { readonly kind: "put"; readonly condition: Condition; readonly value: ArrayBuffer; readonly contentType: string }
  | { readonly kind: "increment"; readonly by: number };

export type Result =
  | { readonly kind: "applied"; readonly state: State; readonly previous: State | null; readonly timing?: string }
  | { readonly kind: "refused"; readonly code: "version_mismatch" | "not_integer" | "overflow"; readonly current: State | null; readonly timing?: string };

export interface Backend {
  read(key: string): Promise<{ state: State | null; timing?: string }>;
  change(key: string, change: Change): Promise<Result>;
}

const COUNTER_CONTENT_TYPE = "text/plain; charset=utf-8";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function live(state: State | null): state is State & { value: ArrayBuffer | Uint8Array } {
  return state !== null && state.value !== null;
}

/** The pure change function, applied to the current state (the same rules as src/core/change.ts). */
export function applyChange(current: State | null, change: Change): Result {
  const nextVersion = (current?.version ?? 0) + 1;
  if (change.kind === "increment") {
    let n = 0;
    if (live(current)) {
      const text = decoder.decode(current.value);
      if (!/^-?(0|[1-9][0-9]*)$/.test(text)) return { kind: "refused", code: "not_integer", current };
      n = Number(text);
    }
    const sum = n + change.by;
    if (!Number.isSafeInteger(sum)) return { kind: "refused", code: "overflow", current };
    return { kind: "applied", previous: current, state: { version: nextVersion, value: encoder.encode(String(sum)), contentType: COUNTER_CONTENT_TYPE } };
  }
  const c = change.condition;
  const ok = c.kind === "none" || (c.kind === "version" ? live(current) && current.version === c.version : c.kind === "exists" ? live(current) : !live(current));
  if (!ok) return { kind: "refused", code: "version_mismatch", current };
  return { kind: "applied", previous: current, state: { version: nextVersion, value: change.value, contentType: change.contentType } };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

function error(status: number, code: string, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message, ...details } }, headers);
}

function timingHeader(timing: string | undefined): Record<string, string> {
  return timing === undefined ? {} : { "server-timing": timing };
}

function parseTag(raw: string): number | undefined {
  const m = /^"(0|[1-9][0-9]{0,15})"$/.exec(raw.trim());
  return m === null ? undefined : Number(m[1]);
}

/** The Worker's fetch handler over a backend. */
export async function serve(request: Request, backend: Backend): Promise<Response> {
  const url = new URL(request.url);
  const m = /^\/v1\/keys\/([^/]+)(\/increment)?$/.exec(url.pathname);
  if (m === null) return error(404, "not_found", "no such route");
  const key = decodeURIComponent(m[1] ?? "");
  if (m[2] !== undefined) {
    if (request.method !== "POST") return error(405, "method_not_allowed", "use POST", {}, { allow: "POST" });
    const raw = await request.text();
    let by = 1;
    if (raw.length > 0) {
      try {
        const parsed = JSON.parse(raw) as { by?: unknown };
        if (typeof parsed.by !== "number" || !Number.isSafeInteger(parsed.by)) return error(400, "invalid_argument", '"by" must be a safe integer');
        by = parsed.by;
      } catch {
        return error(400, "invalid_json", 'the body must be JSON like {"by": 1}');
      }
    }
    const result = await backend.change(key, { kind: "increment", by });
    if (result.kind === "refused") return error(409, result.code, "the key does not hold a decimal integer", {}, timingHeader(result.timing));
    const value = Number(decoder.decode(result.state.value ?? new Uint8Array()));
    return json(200, { value, version: result.state.version }, { etag: `"${result.state.version}"`, ...timingHeader(result.timing) });
  }
  if (request.method === "GET" || request.method === "HEAD") {
    const { state, timing } = await backend.read(key);
    if (!live(state)) return error(404, "not_found", "no such key", {}, timingHeader(timing));
    return new Response(request.method === "HEAD" ? null : state.value, {
      status: 200,
      headers: {
        etag: `"${state.version}"`,
        "cache-control": "no-store",
        "content-type": state.contentType || "application/octet-stream",
        "content-length": String(state.value.byteLength),
        ...timingHeader(timing),
      },
    });
  }
  if (request.method === "PUT") {
    const ifMatch = request.headers.get("if-match");
    const ifNoneMatch = request.headers.get("if-none-match");
    let condition: Condition = { kind: "none" };
    if (ifMatch !== null) {
      if (ifMatch.trim() === "*") condition = { kind: "exists" };
      else {
        const version = parseTag(ifMatch);
        if (version === undefined) return error(400, "invalid_precondition", "If-Match must be one entity tag");
        condition = { kind: "version", version };
      }
    } else if (ifNoneMatch !== null) {
      if (ifNoneMatch.trim() !== "*") return error(400, "invalid_precondition", 'If-None-Match on a write must be "*"');
      condition = { kind: "absent" };
    }
    const value = await request.arrayBuffer();
    const contentType = request.headers.get("content-type") ?? "application/octet-stream";
    const result = await backend.change(key, { kind: "put", condition, value, contentType });
    if (result.kind === "refused") {
      const currentVersion = live(result.current) ? result.current.version : null;
      return error(412, "precondition_failed", currentVersion === null ? "the key does not exist" : `the key is at version ${currentVersion}`, { currentVersion }, {
        ...timingHeader(result.timing),
        ...(currentVersion === null ? {} : { etag: `"${currentVersion}"` }),
      });
    }
    const created = !live(result.previous);
    return json(created ? 201 : 200, { version: result.state.version }, { etag: `"${result.state.version}"`, ...timingHeader(result.timing) });
  }
  return error(405, "method_not_allowed", "method not allowed", {}, { allow: "GET, HEAD, PUT" });
}
