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

export function jsonLine(value: unknown): string {
  return JSON.stringify(value) + "\n";
}
