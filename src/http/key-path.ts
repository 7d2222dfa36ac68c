import { ApiError } from "./errors.js";
import { utf8Bytes } from "../core/key-hash.js";

export const MAX_KEY_BYTES = 512;

/** Percent-decodes a key as UTF-8 and checks it: 1 to 512 bytes, no control characters. */
export function decodeKey(segment: string): string {
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, "invalid_key", "the key is not valid percent-encoded UTF-8");
  }
  const bytes = utf8Bytes(key).length;
  if (bytes === 0) throw new ApiError(400, "invalid_key", "the key is empty");
  if (bytes > MAX_KEY_BYTES) throw new ApiError(400, "invalid_key", `the key is ${bytes} bytes; at most ${MAX_KEY_BYTES}`);
  // C0, DEL and C1 controls; lone surrogates cannot occur (decodeURIComponent rejects them).
  if (/[\u0000-\u001f\u007f-\u009f]/.test(key)) {
    throw new ApiError(400, "invalid_key", "the key contains a control character");
  }
  return key;
}
