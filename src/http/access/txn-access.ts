import type { TxnRequest } from "../../core/txn/request.js";
import type { Grant } from "./policy.js";
import { may, type Access } from "./scope.js";

/**
 * What a transaction (`POST /v1/txn`) needs of its token, key by key, in the order its keys first appear (compare,
 * then success, then failure): write for a key that any op of either branch puts, deletes or increments (a write in
 * the branch not taken is still one the token asked for), read for a key only compared or read by `get`.
 */
export function txnNeeds(request: TxnRequest): { readonly key: string; readonly access: Access }[] {
  const written = new Set<string>();
  for (const op of [...request.success, ...request.failure]) if (op.op !== "get") written.add(op.key);
  const needs = new Map<string, Access>();
  for (const key of [...request.compare.map((c) => c.key), ...request.success.map((o) => o.key), ...request.failure.map((o) => o.key)]) {
    if (!needs.has(key)) needs.set(key, written.has(key) ? "write" : "read");
  }
  return [...needs].map(([key, access]) => ({ key, access }));
}

/**
 * Why the grant may not run the transaction, naming the first key it may not touch as needed (as the guard words a
 * single key's refusal), or null when it may touch every one. Checked before anything runs: a refusal changes nothing.
 */
export function txnRefusal(grant: Grant, request: TxnRequest): string | null {
  for (const { key, access } of txnNeeds(request)) {
    if (!may(grant, access, key)) return `this token may not ${access} the key ${JSON.stringify(key)}`;
  }
  return null;
}
