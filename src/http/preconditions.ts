import { ApiError } from "./errors.js";

/** What the client's If-Match / If-None-Match headers ask of a write. */
export type WriteCondition =
  | { readonly kind: "none" }
  /** If-Match: "<version>": compare-and-set on the version. */
  | { readonly kind: "version"; readonly version: number }
  /** If-Match: *: only if the key exists. */
  | { readonly kind: "exists" }
  /** If-None-Match: *: only if the key does not exist (create). */
  | { readonly kind: "absent" };

export function etag(version: number): string {
  return `"${version}"`;
}

/** Reads the conditions of a PUT or DELETE. Malformed headers are a 400; a precondition that fails later is a 412. */
export function writeCondition(headers: Headers, allowAbsent: boolean): WriteCondition {
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  if (ifMatch !== null && ifNoneMatch !== null) {
    throw new ApiError(400, "invalid_precondition", "send either If-Match or If-None-Match, not both");
  }
  if (ifMatch !== null) {
    if (ifMatch.trim() === "*") return { kind: "exists" };
    return { kind: "version", version: parseEntityTag(ifMatch, "If-Match") };
  }
  if (ifNoneMatch !== null) {
    if (allowAbsent && ifNoneMatch.trim() === "*") return { kind: "absent" };
    throw new ApiError(400, "invalid_precondition", allowAbsent ? 'If-None-Match on a write must be "*"' : "If-None-Match is not supported here");
  }
  return { kind: "none" };
}

/** The versions an If-None-Match on a read names (`*` matches any), for 304 Not Modified. */
export function readCondition(headers: Headers): "any" | number[] | null {
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch === null) return null;
  if (ifNoneMatch.trim() === "*") return "any";
  // Weak comparison applies to If-None-Match, so W/"3" matches version 3 too.
  return ifNoneMatch.split(",").map((tag) => parseEntityTag(tag.trim().replace(/^W\//, ""), "If-None-Match"));
}

/** A strong entity tag `"<version>"` of a positive safe integer. */
function parseEntityTag(raw: string, header: string): number {
  const match = /^"(0|[1-9][0-9]{0,15})"$/.exec(raw.trim());
  const version = match === null ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(version)) {
    throw new ApiError(400, "invalid_precondition", `${header} must be one entity tag "<version>" (or *), got ${JSON.stringify(raw)}`);
  }
  return version;
}
