import { keyHash } from "../core/key-hash.js";
import { ApiError } from "./errors.js";

/**
 * The `id` of a prefix stream's events: where the whole stream resumes (`Last-Event-ID` or `?since=`). There is no
 * order across keys to resume from (each key is its own register), so the id holds what the watcher has: each live
 * key (its part after the prefix) with the version of its last event, and a hash of the prefix, so an id is not
 * taken for another prefix's stream. A resumed stream then sends only newer states, and deletes of keys it holds.
 *
 * An id stays short enough for a header: past MAX_EXACT_BYTES of keys it says only "reset": a stream resumed from it
 * starts with a `reset` event and every live key again (the watcher replaces what it holds), as a Kubernetes watch
 * does after its resource version expired.
 */
export const MAX_EXACT_BYTES = 3072;

const VERSION_TAG = "w1";

export type ResumePoint = { readonly kind: "exact"; readonly keys: ReadonlyMap<string, number> } | { readonly kind: "reset" };

/** The resume id of a watcher of `prefix` that holds `keys` (full keys, each under the prefix). */
export function encodeResumeId(prefix: string, keys: ReadonlyMap<string, number>): string {
  const tag = `${VERSION_TAG}.${prefixTag(prefix)}`;
  const held: Record<string, number> = {};
  let bytes = 0;
  for (const [key, version] of keys) {
    const rest = key.slice(prefix.length);
    bytes += rest.length + 12;
    if (bytes > MAX_EXACT_BYTES) return `${tag}.reset`;
    held[rest] = version;
  }
  return `${tag}.${base64url(JSON.stringify(held))}`;
}

const BAD = (why: string) => new ApiError(400, "invalid_argument", `the resume id ("since" or "Last-Event-ID") ${why}: use the id of an event of this prefix's stream`);

/** What a resume id says, or 400 invalid_argument for one that is malformed or of another prefix. */
export function decodeResumeId(prefix: string, id: string): ResumePoint {
  const [tag, hash, body, ...rest] = id.split(".");
  if (tag !== VERSION_TAG || body === undefined || rest.length > 0) throw BAD("is not one");
  if (hash !== prefixTag(prefix)) throw BAD("belongs to another prefix");
  if (body === "reset") return { kind: "reset" };
  let held: unknown;
  try {
    held = JSON.parse(unbase64url(body));
  } catch {
    throw BAD("is not one");
  }
  if (typeof held !== "object" || held === null || Array.isArray(held)) throw BAD("is not one");
  const keys = new Map<string, number>();
  for (const [rest, version] of Object.entries(held)) {
    if (!Number.isSafeInteger(version) || (version as number) < 1) throw BAD("is not one");
    keys.set(prefix + rest, version as number);
  }
  return { kind: "exact", keys };
}

function prefixTag(prefix: string): string {
  return keyHash(prefix).toString(36);
}

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function unbase64url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}
