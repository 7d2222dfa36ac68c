import type { Intent, NextState } from "./intent.js";

/**
 * An intent as text, for the acceptor's SQLite column (one JSON object; values as base64). Anything malformed throws:
 * an acceptor never repairs a stored state.
 */
export function encodeIntent(intent: Intent): string {
  return JSON.stringify({ txn: intent.txn, record: intent.record, startedAt: intent.startedAt, success: encodeNext(intent.success), failure: encodeNext(intent.failure) });
}

export function decodeIntent(text: string): Intent {
  const o = JSON.parse(text) as { txn: string; record: string; startedAt: number; success: EncodedNext; failure: EncodedNext };
  if (typeof o.txn !== "string" || typeof o.record !== "string" || typeof o.startedAt !== "number") throw new Error("malformed intent");
  return { txn: o.txn, record: o.record, startedAt: o.startedAt, success: decodeNext(o.success), failure: decodeNext(o.failure) };
}

type EncodedNext = { kind: "keep" } | { kind: "delete" } | { kind: "put"; value: string; contentType: string };

function encodeNext(next: NextState): EncodedNext {
  return next.kind === "put" ? { kind: "put", value: toBase64(next.value), contentType: next.contentType } : { kind: next.kind };
}

function decodeNext(next: EncodedNext): NextState {
  if (next.kind === "put") return { kind: "put", value: fromBase64(next.value), contentType: next.contentType };
  if (next.kind === "keep" || next.kind === "delete") return { kind: next.kind };
  throw new Error("malformed intent");
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
