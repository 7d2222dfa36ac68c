/**
 * Who may do what (issue 22). Three secrets describe the tokens a deployment accepts:
 * - `BALLOT_ACCESS`: a JSON array of scoped grants `{"name", "sha256", "read": [prefixes], "write": [prefixes],
 *   "admin": bool}`. Only the SHA-256 of each token is configured, so the secret never holds a usable token.
 * - `BALLOT_TOKENS`: comma-separated tokens with full data access (read and write every key), as before scopes.
 * - `BALLOT_ADMIN_TOKENS`: comma-separated tokens for the operator's routes (the layout) and nothing else.
 * A malformed secret throws (the Worker answers 500 `misconfigured`): it must never fail open.
 */

/** What one token may do. Prefixes are key prefixes (and lock-name prefixes); "" means every key. */
export interface Grant {
  /** Shown in request logs and refusals instead of the token. */
  readonly name: string;
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly admin: boolean;
}

/** A grant and the SHA-256 digest of the token that carries it. */
export interface GrantEntry {
  readonly digest: Uint8Array;
  readonly grant: Grant;
}

export interface AccessSecrets {
  readonly BALLOT_ACCESS?: string;
  readonly BALLOT_TOKENS?: string;
  readonly BALLOT_ADMIN_TOKENS?: string;
}

/** Shortest token accepted: a token is a secret, not a password; 16 random characters at least. */
export const MIN_TOKEN_LENGTH = 16;

const TOKEN_SHAPE = /^[A-Za-z0-9\-._~+/]+=*$/;
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
const GRANT_FIELDS = new Set(["name", "sha256", "read", "write", "admin"]);
const MAX_PREFIX_BYTES = 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The secrets, read and checked (synchronously, so a malformed one fails at startup); tokens not yet hashed. */
export interface ParsedSecrets {
  readonly access: readonly { readonly sha256: string; readonly grant: Grant }[];
  readonly tokens: readonly string[];
  readonly adminTokens: readonly string[];
}

export function parseSecrets(secrets: AccessSecrets): ParsedSecrets {
  return {
    access: parseAccess(secrets.BALLOT_ACCESS),
    tokens: tokensOf(secrets.BALLOT_TOKENS, "BALLOT_TOKENS"),
    adminTokens: tokensOf(secrets.BALLOT_ADMIN_TOKENS, "BALLOT_ADMIN_TOKENS"),
  };
}

/** Every grant the secrets describe, in order: BALLOT_ACCESS's, then BALLOT_TOKENS', then BALLOT_ADMIN_TOKENS'. */
export async function grantsFrom(secrets: AccessSecrets): Promise<GrantEntry[]> {
  return grantsOf(parseSecrets(secrets));
}

/** The grants with each token's digest; rejects when one token would carry two grants. */
export async function grantsOf(parsed: ParsedSecrets): Promise<GrantEntry[]> {
  const entries: GrantEntry[] = parsed.access.map(({ sha256: hex, grant }) => ({ digest: fromHex(hex), grant }));
  for (const [i, token] of parsed.tokens.entries()) entries.push({ digest: await sha256(token), grant: { name: `BALLOT_TOKENS[${i}]`, read: [""], write: [""], admin: false } });
  for (const [i, token] of parsed.adminTokens.entries()) entries.push({ digest: await sha256(token), grant: { name: `BALLOT_ADMIN_TOKENS[${i}]`, read: [], write: [], admin: true } });
  const seen = new Set<string>();
  for (const entry of entries) {
    const hex = toHex(entry.digest);
    if (seen.has(hex)) throw new Error(`access: grant "${entry.grant.name}" has a token that another grant also has: each token must carry one grant`);
    seen.add(hex);
  }
  return entries;
}

/** Reads BALLOT_ACCESS; unknown fields are refused, so a misspelt "wirte" cannot silently drop a permission. */
export function parseAccess(text: string | undefined): { sha256: string; grant: Grant }[] {
  if (text === undefined || text.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`BALLOT_ACCESS is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(parsed)) throw new Error("BALLOT_ACCESS must be a JSON array of grants");
  const names = new Set<string>();
  return parsed.map((item: unknown, i) => {
    const where = `BALLOT_ACCESS[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error(`${where} must be an object`);
    const record = item as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !GRANT_FIELDS.has(k));
    if (unknown.length > 0) throw new Error(`${where} has unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}`);
    const { name, sha256: digest } = record;
    if (typeof name !== "string" || name.trim() === "" || name.length > 100) throw new Error(`${where}.name must be a non-empty string of at most 100 characters`);
    if (names.has(name)) throw new Error(`${where}.name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    if (typeof digest !== "string" || !HEX_DIGEST.test(digest)) throw new Error(`${where}.sha256 must be the 64 hex digits of the token's SHA-256`);
    const admin = record.admin ?? false;
    if (typeof admin !== "boolean") throw new Error(`${where}.admin must be true or false`);
    const grant: Grant = { name, read: prefixes(record.read, `${where}.read`), write: prefixes(record.write, `${where}.write`), admin };
    return { sha256: digest.toLowerCase(), grant };
  });
}

function prefixes(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((p) => typeof p === "string")) throw new Error(`${where} must be an array of key prefixes ("" for every key)`);
  for (const p of value as string[]) {
    // A lone surrogate has no UTF-8 form, so it could never match a key's bytes as the prefix it seems to be.
    if (LONE_SURROGATE.test(p)) throw new Error(`${where} has a prefix that is not valid Unicode text`);
    if (new TextEncoder().encode(p).length > MAX_PREFIX_BYTES) throw new Error(`${where} has a prefix longer than ${MAX_PREFIX_BYTES} bytes`);
  }
  return [...(value as string[])];
}

function tokensOf(text: string | undefined, secret: string): string[] {
  const tokens = (text ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  for (const token of tokens) {
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) {
      throw new Error(`${secret}: every token must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (then =), comma-separated`);
    }
  }
  return tokens;
}

export async function sha256(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
