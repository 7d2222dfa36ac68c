import { ApiError } from "./errors.js";
import { utf8Bytes } from "../core/key-hash.js";

export const MAX_KEY_BYTES = 512;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Percent-decodes a key as UTF-8 and checks it: 1 to 512 bytes, no control characters. */
export function decodeKey(segment: string): string {
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, "invalid_key", "the key is not valid percent-encoded UTF-8");
  }
  const problem = keyProblem(key);
  if (problem !== null) throw new ApiError(400, "invalid_key", problem);
  return key;
}

/**
 * What is wrong with a decoded key, or null: the rules of every key, in a path or in a body (a transaction's keys,
 * src/http/txn.ts). No control characters: records of locks and transactions live under keys starting with \u0001.
 */
export function keyProblem(key: string): string | null {
  const bytes = utf8Bytes(key).length;
  if (bytes === 0) return "the key is empty";
  if (bytes > MAX_KEY_BYTES) return `the key is ${bytes} bytes; at most ${MAX_KEY_BYTES}`;
  // C0, DEL and C1 controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) return "the key contains a control character";
  // Only from a JSON body (decodeURIComponent rejects them): no UTF-8 form, so two keys would share one.
  if (LONE_SURROGATE.test(key)) return "the key is not valid Unicode (a lone surrogate)";
  // Only from a JSON body too (URL parsing resolves them in a path): a key no /v1/keys/{key} could address.
  if (key === "." || key === "..") return `the key cannot be "${key}" (a URL resolves it away)`;
  return null;
}
