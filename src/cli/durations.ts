import { UsageError } from "./exit-codes.js";

/**
 * "500ms", "10s", "2m", "1h", or a bare number of seconds (as etcdctl's --ttl), to milliseconds.
 */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw new UsageError(`${flag} takes a duration such as 500ms, 10s or 2m, got ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(match[1]) * unit);
}

/** A non-negative safe integer (a version), or a usage error naming the argument. */
export function parseVersion(what: string, text: string): number {
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** A safe integer, negative allowed (an increment). */
export function parseInteger(what: string, text: string): number {
  if (!/^-?\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${what} must be an integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
