import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import {
  BadRequest,
  Conflict,
  Forbidden,
  OutcomeUnknown,
  Unavailable,
  createClient,
  type BallotClient,
  type FetchLike,
} from "../../src/client/index.js";
import type { Env } from "../../src/env.js";
import { serve } from "../../src/index.js";
import { clearFaults, setFault, worker } from "./admin-helpers.js";
import { BASE, freshKey } from "./helpers.js";

// The client's txn() and getMany() against the real POST /v1/txn route and its acceptors in workerd.
const toWorker: FetchLike = (input, init) => exports.default.fetch(new Request(input, init));
const client = createClient({ baseUrl: BASE, fetch: toWorker });
const text = (s: string) => new TextEncoder().encode(s);

/**
 * Moves `amount` from one counter to another, by their versions read in one atomic read: a lost race (a version moved,
 * `succeeded: false`) or a key held by another transaction (503) is tried again; anything else is thrown.
 */
async function transfer(ballot: BallotClient, from: string, to: string, amount: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const [a = null, b = null] = await ballot.getMany([from, to]);
    const t = ballot
      .txn()
      .compare(from, a === null ? { exists: false } : { version: a.version })
      .compare(to, b === null ? { exists: false } : { version: b.version })
      .onSuccess((ops) => ops.increment(from, -amount).increment(to, amount));
    try {
      const r = await t.commit();
      if (r.succeeded) return attempt;
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
    }
    if (attempt > 100) throw new Error("transfer starved");
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 10)));
  }
}

describe("txn() against the Worker in workerd", () => {
  it("a transfer between two counters: both change or neither, the results typed per op", async () => {
    const [a, b] = [freshKey("acct-a"), freshKey("acct-b")];
    await client.put(a, "10");
    await client.put(b, "0");
    const r = await client
      .txn()
      .compare(a, { version: 1 })
      .compare(b, { value: "0" })
      .onSuccess((t) => t.increment(a, -5).increment(b, 5))
      .onFailure((t) => t.get(a).get(b))
      .commit();
    expect(r.succeeded).toBe(true);
    if (!r.succeeded) return;
    expect(r.results).toEqual([
      { op: "increment", key: a, version: 2, value: 5 },
      { op: "increment", key: b, version: 2, value: 5 },
    ]);
    expect(r.txnId).toMatch(/^[0-9a-f]{32}$/);
    expect((await client.getText(a))?.value).toBe("5");
    expect((await client.getText(b))?.value).toBe("5");

    // The same transaction again: version 1 is gone, so the failure branch reads both, and nothing moved.
    const again = await client
      .txn()
      .compare(a, { version: 1 })
      .onSuccess((t) => t.increment(a, -5).increment(b, 5))
      .onFailure((t) => t.getText(a).getText(b))
      .commit();
    expect(again.succeeded).toBe(false);
    if (again.succeeded) return;
    expect(again.results.map((x) => [x.key, x.version, x.value])).toEqual([
      [a, 2, "5"],
      [b, 2, "5"],
    ]);
    expect((await client.getMany([a, b])).map((e) => e?.version)).toEqual([2, 2]);
  });

  it("concurrent transfers conserve the total, each applied exactly once", async () => {
    const accounts = [freshKey("bank"), freshKey("bank"), freshKey("bank")];
    for (const key of accounts) await client.put(key, "100");
    const moves = Array.from({ length: 8 }, (_, i) => [accounts[i % 3]!, accounts[(i + 1) % 3]!, i + 1] as const);
    await Promise.all(moves.map(([from, to, amount]) => transfer(createClient({ baseUrl: BASE, fetch: toWorker }), from, to, amount)));
    const balances = (await client.getMany(accounts)).map((e) => Number(new TextDecoder().decode(e!.value)));
    expect(balances.reduce((x, y) => x + y, 0)).toBe(300);
    const expected = accounts.map((key) => 100 + moves.reduce((sum, [from, to, amount]) => sum + (to === key ? amount : 0) - (from === key ? amount : 0), 0));
    expect(balances).toEqual(expected);
  }, 60_000);

  it("claims a unique name and creates its record in one step; a second claim fails and reads the owner", async () => {
    const name = freshKey("name");
    const claim = (user: string) =>
      client
        .txn()
        .compare(`names/${name}`, { exists: false })
        .onSuccess((t) => t.put(`names/${name}`, user).putJSON(`users/${name}/${user}`, { name }))
        .onFailure((t) => t.getText(`names/${name}`))
        .commit();
    const first = await claim("u1");
    expect(first.succeeded).toBe(true);
    expect(first.results).toEqual([
      { op: "put", key: `names/${name}`, version: 1 },
      { op: "put", key: `users/${name}/u1`, version: 1 },
    ]);
    const second = await claim("u2");
    expect(second.succeeded).toBe(false);
    expect(second.results).toEqual([{ op: "get", key: `names/${name}`, version: 1, contentType: "text/plain; charset=utf-8", value: "u1" }]);
    expect(await client.getJSON(`users/${name}/u1`)).toMatchObject({ value: { name }, contentType: "application/json" });
    expect(await client.get(`users/${name}/u2`)).toBeNull();
  });

  it("getMany and get ops: an atomic read of bytes, text, JSON and absent keys; delete and binary compare", async () => {
    const [bin, txt, json, absent] = [freshKey("bin"), freshKey("txt"), freshKey("json"), freshKey("absent")];
    const bytes = new Uint8Array([0, 1, 254, 255]);
    await client.put(bin, bytes);
    await client.put(txt, "héllo");
    await client.putJSON(json, { n: 1 });
    expect(await client.getMany([bin, absent, txt, bin])).toEqual([
      { value: bytes, version: 1, contentType: "application/octet-stream" },
      null,
      { value: text("héllo"), version: 1, contentType: "text/plain; charset=utf-8" },
      { value: bytes, version: 1, contentType: "application/octet-stream" },
    ]);
    const read = await client
      .txn()
      .compare(bin, { value: bytes })
      .onSuccess((t) => t.get(bin).getText(txt).getJSON<{ n: number }>(json).get(absent))
      .commit();
    expect(read.succeeded).toBe(true);
    if (!read.succeeded) return;
    expect(read.results[0].value).toEqual(bytes);
    expect(read.results[1].value).toBe("héllo");
    expect(read.results[2].value?.n).toBe(1);
    expect(read.results[3]).toEqual({ op: "get", key: absent, version: 0, contentType: null, value: null });

    const removed = await client.txn().onSuccess((t) => t.delete(bin).put(absent, new Uint8Array([7]))).commit();
    expect(removed.results).toEqual([
      { op: "delete", key: bin, version: 2 },
      { op: "put", key: absent, version: 1 },
    ]);
    expect(await client.getMany([bin, absent])).toEqual([null, { value: new Uint8Array([7]), version: 1, contentType: "application/octet-stream" }]);
  });

  it("an increment of a non-integer: Conflict not_integer naming the key and the transaction, nothing changed", async () => {
    const [word, other] = [freshKey("word"), freshKey("other")];
    await client.put(word, "abc");
    const error = await client.txn().onSuccess((t) => t.put(other, "x").increment(word, 2)).commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Conflict);
    expect((error as Conflict).code).toBe("not_integer");
    expect((error as Conflict).details.key).toBe(word);
    expect((error as Conflict).details.txn).toMatch(/^[0-9a-f]{32}$/);
    expect(await client.getMany([word, other])).toEqual([{ value: text("abc"), version: 1, contentType: "text/plain; charset=utf-8" }, null]);
  });

  it("malformed transactions are BadRequest: a key twice in a branch, more than 64 keys, no key", async () => {
    const key = freshKey("bad");
    for (const t of [
      client.txn().onSuccess((o) => o.put(key, "1").increment(key)),
      client.txn().onSuccess((o) => Array.from({ length: 65 }, (_, i) => `${key}/${i}`).reduce((ops, k) => ops.get(k) as typeof o, o)),
      client.txn(),
      client.txn().onSuccess((o) => o.get("..")),
    ]) {
      const error = await t.commit().catch((e: unknown) => e);
      expect(error, JSON.stringify(t)).toBeInstanceOf(BadRequest);
      expect((error as BadRequest).status).toBe(400);
    }
    expect(await client.get(key)).toBeNull();
  });
});

describe("txn() errors from the Worker", () => {
  afterEach(async () => {
    await clearFaults(worker);
  });

  it("a token outside its scope: Forbidden, for a write in either branch", async () => {
    const READER = "txn-client-reader-0123456789";
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", text(READER)));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const scopedEnv: Env = { ...(env as unknown as Env), BALLOT_ACCESS: JSON.stringify([{ name: "reader", sha256, read: ["shared/"] }]), BALLOT_CLUSTER: "client-txn-access" };
    const app = serve(scopedEnv);
    const reader = createClient({ baseUrl: BASE, token: READER, fetch: (input, init) => app(new Request(input, init)) });
    const key = `shared/${freshKey("s")}`;
    expect((await reader.getMany([key])).length).toBe(1);
    const refused = await reader.txn().compare(key, { exists: true }).onFailure((t) => t.put(key, "x")).commit().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Forbidden);
    expect((refused as Forbidden).code).toBe("forbidden");
    expect(await reader.getMany([key])).toEqual([null]);
  });

  it("a majority of acceptors down: Unavailable with retryAfter (definitely not applied), for a write and for a read", async () => {
    const key = freshKey("down");
    await client.put(key, "kept");
    await setFault(worker, { acceptor: 1, mode: "down" });
    await setFault(worker, { acceptor: 2, mode: "down" });
    const write = await client.txn().compare(key, { version: 1 }).onSuccess((t) => t.put(key, "lost")).commit().catch((e: unknown) => e);
    expect(write).toBeInstanceOf(Unavailable);
    expect(write).not.toBeInstanceOf(OutcomeUnknown);
    expect((write as Unavailable).retryAfter).toBe(1);
    expect((write as Unavailable).details.txn).toMatch(/^[0-9a-f]{32}$/);
    expect(await client.getMany([key]).catch((e: unknown) => e)).toBeInstanceOf(Unavailable);
    await clearFaults(worker);
    expect((await client.getText(key))?.value).toBe("kept");
  }, 20_000);
});
