import { decodeKey } from "../key-path.js";
import type { Access } from "./scope.js";

/**
 * What a request needs of its token, from its method and raw path alone, before any route runs:
 * - `key`: read or write of one key (or lock name, checked by the same prefixes); watching a key
 *   (`GET /v1/watch/{key}`) is a read of it;
 * - `admin`: the operator's routes (the layout);
 * - `full`: the dev-only routes (fault injection, storage, collection), which exist only with DEV_ADMIN: full data
 *   access (as every token had before scopes), never a scoped token;
 * - `list`: a key listing (`GET /v1/keys?prefix=P`) or a prefix watch (`GET /v1/watch?prefix=P`): a token that may
 *   read some key under P (the route then lists or sends only those); a prefix that does not decode or is malformed needs `any` (its route answers 400);
 * - `keys`: a transaction (`POST /v1/txn`), whose keys are in its body: any valid token here, and the route checks
 *   every key it touches before running anything (txn-access.ts);
 * - `any`: any valid token (health, the OpenAPI document, and paths no route serves, which then answer 404/405).
 * A key that does not decode needs `any`: its route answers 400 and touches nothing.
 */
export type Need =
  | { readonly kind: "any" | "admin" | "full" | "keys" }
  | { readonly kind: "key"; readonly access: Access; readonly key: string; readonly what: "key" | "lock" }
  /** A listing of the keys under `prefix`: some prefix the token may read must overlap it (the listing shows only those). */
  | { readonly kind: "list"; readonly prefix: string };

const ANY: Need = { kind: "any" };

export function requiredAccess(method: string, path: string, search = ""): Need {
  const s = path.split("/");
  if (s[1] !== "v1") return ANY;
  const read = method === "GET" || method === "HEAD";
  if (s[2] === "keys" && s.length === 3) return method === "GET" ? listNeed(search) : ANY;
  if (s[2] === "keys" && s.length === 4) return keyNeed(read ? "read" : "write", s[3] as string, "key");
  if (s[2] === "keys" && s.length === 5 && s[4] === "increment") return keyNeed("write", s[3] as string, "key");
  if (s[2] === "watch" && s.length === 3) return method === "GET" ? listNeed(search) : ANY;
  if (s[2] === "watch" && s.length === 4) return method === "GET" ? keyNeed("read", s[3] as string, "key") : ANY;
  if (s[2] === "locks" && s.length === 4) return keyNeed(read ? "read" : "write", s[3] as string, "lock");
  if (s[2] === "locks" && s.length === 5) return keyNeed("write", s[3] as string, "lock");
  if (s[2] === "txn" && s.length === 3) return method === "POST" ? { kind: "keys" } : ANY;
  if (s[2] === "admin") return s[3] === "layout" && s.length === 4 ? { kind: "admin" } : { kind: "full" };
  return ANY;
}

function keyNeed(access: Access, raw: string, what: "key" | "lock"): Need {
  try {
    return { kind: "key", access, key: decodeKey(raw), what };
  } catch {
    return ANY;
  }
}

/** The `prefix` query parameter of a listing, as its route reads it (URLSearchParams; absent: every key). */
function listNeed(search: string): Need {
  const prefix = new URLSearchParams(search).get("prefix") ?? "";
  return CONTROL.test(prefix) ? ANY : { kind: "list", prefix };
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
