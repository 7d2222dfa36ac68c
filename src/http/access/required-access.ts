import { decodeKey } from "../key-path.js";
import type { Access } from "./scope.js";

/**
 * What a request needs of its token, from its method and raw path alone, before any route runs:
 * - `key`: read or write of one key (or lock name, checked by the same prefixes);
 * - `admin`: the operator's routes (the layout);
 * - `full`: the dev-only routes (fault injection, storage, collection), which exist only with DEV_ADMIN: full data
 *   access (as every token had before scopes), never a scoped token;
 * - `any`: any valid token (health, the OpenAPI document, and paths no route serves, which then answer 404/405).
 * A key that does not decode needs `any`: its route answers 400 and touches nothing.
 */
export type Need = { readonly kind: "any" | "admin" | "full" } | { readonly kind: "key"; readonly access: Access; readonly key: string; readonly what: "key" | "lock" };

const ANY: Need = { kind: "any" };

export function requiredAccess(method: string, path: string): Need {
  const s = path.split("/");
  if (s[1] !== "v1") return ANY;
  const read = method === "GET" || method === "HEAD";
  if (s[2] === "keys" && s.length === 4) return keyNeed(read ? "read" : "write", s[3] as string, "key");
  if (s[2] === "keys" && s.length === 5 && s[4] === "increment") return keyNeed("write", s[3] as string, "key");
  if (s[2] === "locks" && s.length === 4) return keyNeed(read ? "read" : "write", s[3] as string, "lock");
  if (s[2] === "locks" && s.length === 5) return keyNeed("write", s[3] as string, "lock");
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
