/**
 * How a stored value travels in a JSON body (listings with values, watch events, transaction results and
 * transaction bodies): as `value` (text) when its content type is a text one and its bytes are valid UTF-8, otherwise
 * as `valueBase64`.
 */

/** Text content types (`text/*`, JSON and XML ones): their values travel as text when they are valid UTF-8. */
export function isText(contentType: string): boolean {
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return type.startsWith("text/") || /^[a-z0-9.+-]+\/([a-z0-9.-]+\+)?(json|xml)$/.test(type);
}

/** `{value}` or `{valueBase64}` for a value of `contentType`. */
export function valueFields(contentType: string, bytes: Uint8Array): { value: string } | { valueBase64: string } {
  const text = isText(contentType) ? utf8Text(bytes) : null;
  return text === null ? { valueBase64: toBase64(bytes) } : { value: text };
}

/** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // In slices: spreading a large array into one call would overflow the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
