import type { Entry } from "../client/index.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** An entry as JSON: text values as `value`, anything that is not valid UTF-8 as `valueBase64`. */
export function entryJSON(key: string, entry: Entry<Uint8Array>): Record<string, unknown> {
  const base = { key, version: entry.version, contentType: entry.contentType };
  try {
    return { ...base, value: strictUtf8.decode(entry.value) };
  } catch {
    return { ...base, valueBase64: Buffer.from(entry.value).toString("base64") };
  }
}

/** A value on one line: its text, JSON-escaped (a newline as \n), or "(N bytes)" when it is not UTF-8. */
export function lineText(value: Uint8Array): string {
  try {
    return JSON.stringify(strictUtf8.decode(value)).slice(1, -1);
  } catch {
    return `(${value.byteLength} bytes)`;
  }
}

export function jsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
