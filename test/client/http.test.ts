import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFound, PreconditionFailed, Unauthorized, Unavailable, createClient, type BallotClient } from "../../src/client/index.js";
import { startLocalServer, type LocalServer } from "../support/local-server.js";

// The client in Node 20 over real HTTP against `wrangler dev` (local workerd), with bearer tokens configured.
const TOKEN = "node-client-token-0123456789";
const ROTATED = "node-client-token-rotated-42";
let server: LocalServer;
let dir: string;
let client: BallotClient;
const run = Date.now().toString(36);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ballot-client-"));
  server = await startLocalServer({ persistTo: dir, vars: { BALLOT_TOKENS: `${TOKEN},${ROTATED}` } });
  client = createClient({ baseUrl: server.url, token: TOKEN });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("client over HTTP from Node (local server with tokens)", () => {
  it("round-trips bytes, text and JSON with versions", async () => {
    const key = `${run}/bytes`;
    expect(await client.put(key, new Uint8Array([1, 2, 3]), { ifAbsent: true })).toEqual({ version: 1, created: true });
    expect(await client.get(key)).toEqual({ value: new Uint8Array([1, 2, 3]), version: 1, contentType: "application/octet-stream" });
    await client.putJSON(`${run}/json`, { hello: "wörld" });
    expect((await client.getJSON(`${run}/json`))?.value).toEqual({ hello: "wörld" });
    expect(await client.get(`${run}/absent`)).toBeNull();
    await expect(client.delete(`${run}/absent`)).rejects.toBeInstanceOf(NotFound);
  });

  it("keys with reserved characters travel percent-encoded", async () => {
    const key = `${run}/a b?c#d%e&f=g+h/ü`;
    await client.put(key, "ok");
    expect((await client.getText(key))?.value).toBe("ok");
    // The raw URL holds the key as one segment.
    const res = await fetch(`${server.url}/v1/keys/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.text()).toBe("ok");
  });

  it("compare-and-set and update under concurrency from many clients", async () => {
    const key = `${run}/list`;
    const clients = Array.from({ length: 6 }, () => createClient({ baseUrl: server.url, token: ROTATED }));
    await Promise.all(
      clients.map((c, i) => c.updateJSON<number[]>(key, (cur) => [...(cur?.value ?? []), i], { maxAttempts: 50, baseDelayMs: 5 })),
    );
    const final = await client.getJSON<number[]>(key);
    expect(final?.value.slice().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(final?.version).toBe(6);
    const stale = await client.put(key, "x", { ifVersion: 5 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PreconditionFailed);
    expect((stale as PreconditionFailed).currentVersion).toBe(6);
  });

  it("increments", async () => {
    const key = `${run}/n`;
    await Promise.all(Array.from({ length: 10 }, () => client.increment(key, 3)));
    expect((await client.getText(key))?.value).toBe("30");
  });

  it("without or with a wrong token: Unauthorized (401)", async () => {
    const anonymous = await createClient({ baseUrl: server.url }).get(`${run}/x`).catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(Unauthorized);
    expect((anonymous as Unauthorized).status).toBe(401);
    const wrong = await createClient({ baseUrl: server.url, token: `${TOKEN}-wrong` }).put(`${run}/x`, "v").catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(Unauthorized);
    const raw = await fetch(`${server.url}/v1/health`);
    expect(raw.headers.get("www-authenticate")).toBe('Bearer realm="ballot"');
  });

  it("health answers with a token", async () => {
    const res = await fetch(`${server.url}/v1/health?shard=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("ok");
  });

  it("a server that cannot be reached: Unavailable for a read, nothing hangs", async () => {
    const down = createClient({ baseUrl: "http://127.0.0.1:9" });
    expect(await down.get("k").catch((e: unknown) => e)).toBeInstanceOf(Unavailable);
  });
});

describe("the production environment", () => {
  it("refuses to serve without BALLOT_TOKENS (closed, 500 misconfigured)", async () => {
    const prodDir = await mkdtemp(join(tmpdir(), "ballot-prod-"));
    const prod = await startLocalServer({ persistTo: prodDir, environment: "production" });
    try {
      for (const path of ["/v1/keys/a", "/v1/health"]) {
        const res = await fetch(`${prod.url}${path}`);
        expect(res.status).toBe(500);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("misconfigured");
      }
    } finally {
      await prod.stop();
      await rm(prodDir, { recursive: true, force: true });
    }
  }, 60_000);
});
