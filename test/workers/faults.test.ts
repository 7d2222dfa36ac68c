import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Env } from "../../src/env.js";
import { createDevAdmin } from "../../src/http/admin.js";
import { serve } from "../../src/index.js";
import { acceptorObjectName, shardOf } from "../../src/cluster/placement.js";
import { adminView, appWithAdmin, clearFaults, req, setFault, worker, type App } from "./admin-helpers.js";
import { errorOf, freshKey, keyPath } from "./helpers.js";

// Faults are set through the dev admin API and act on the real call path Worker -> acceptor object. The test config
// has BALLOT_ROUND_TIMEOUT_MS=250 and BALLOT_DEADLINE_MS=1500. A "slow" acceptor is delayed by 20 s, four times
// vitest's 5 s test timeout: a test that passes did not wait for it.
const SLOW_MS = 20_000;

afterEach(async () => {
  await clearFaults(worker);
});

const put = (app: App, key: string, body: string, headers: Record<string, string> = {}) =>
  app(req(keyPath(key), { method: "PUT", body, headers }));
const get = (app: App, key: string) => app(req(keyPath(key)));
const del = (app: App, key: string) => app(req(keyPath(key), { method: "DELETE" }));
const inc = (app: App, key: string, by = 1) => app(req(keyPath(key, "/increment"), { method: "POST", body: JSON.stringify({ by }) }));

/** PUT, CAS, GET, increment and DELETE, each checked for its success answer. */
async function everyOperationSucceeds(app: App): Promise<void> {
  const key = freshKey("ops");
  expect((await put(app, key, "a")).status).toBe(201);
  expect((await put(app, key, "b", { "if-match": '"1"' })).status).toBe(200);
  const stale = await put(app, key, "c", { "if-match": '"1"' });
  expect(stale.status).toBe(412);
  const got = await get(app, key);
  expect(got.status).toBe(200);
  expect(got.headers.get("etag")).toBe('"2"');
  expect(await got.text()).toBe("b");
  const counter = freshKey("n");
  expect(await (await inc(app, counter, 2)).json()).toEqual({ value: 2, version: 1 });
  expect(await (await inc(app, counter, 3)).json()).toEqual({ value: 5, version: 2 });
  expect((await del(app, key)).status).toBe(204);
  expect((await get(app, key)).status).toBe(404);
  expect(await (await get(app, counter)).text()).toBe("5");
}

/**
 * Every operation answers 503 or (for a change whose accept went out) 504; never a success. All requests run at
 * once: each may take up to the deadline (1.5 s in tests).
 */
async function everyOperationFails(app: App, known: string, counter?: string): Promise<void> {
  const fresh = freshKey("fresh");
  const [freshAnswers, knownAnswers] = await Promise.all([
    Promise.all([put(app, fresh, "x"), get(app, fresh), inc(app, fresh)]),
    Promise.all([
      put(app, known, "lost"),
      put(app, known, "lost", { "if-match": '"1"' }),
      inc(app, known),
      del(app, known),
      get(app, known),
      ...(counter === undefined ? [] : [inc(app, counter)]),
    ]),
  ]);
  // A key this proposer never touched has no piggybacked promise: the prepare fails, no accept is sent: 503.
  for (const res of freshAnswers) {
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await errorOf(res)).code).toBe("unavailable");
  }
  // A key with a piggybacked promise skips the prepare: its accept goes out, and a minority confirming it is 504.
  for (const res of knownAnswers) {
    expect([503, 504]).toContain(res.status);
    expect(["unavailable", "outcome_unknown"]).toContain((await errorOf(res)).code);
  }
}

describe("N=3 through the real Worker, one acceptor faulty", () => {
  const faults = [
    { acceptor: 0, mode: "down" },
    { acceptor: 1, mode: "slow", ms: SLOW_MS },
    { acceptor: 2, mode: "hang" },
    { acceptor: 0, mode: "flaky", rate: 0.5 },
  ];
  for (const fault of faults) {
    it(`every operation succeeds with ${JSON.stringify(fault)}`, async () => {
      await setFault(worker, fault);
      await everyOperationSucceeds(worker);
    });
  }

  it("the admin view reports the faulty acceptor as an error and the others' slots", async () => {
    const key = freshKey("view");
    expect((await put(worker, key, "hello")).status).toBe(201);
    await setFault(worker, { acceptor: 1, mode: "hang" });
    const view = await adminView(worker, key);
    expect(view[1]).toEqual({ index: 1, error: expect.any(String) });
    for (const i of [0, 2]) {
      expect(view[i]).toMatchObject({ index: i, present: true, version: 1, bytes: 5, deleted: false });
      expect(view[i]?.accepted).toMatch(/^[0-9]+\..+/);
    }
    await setFault(worker, { acceptor: 0, mode: "slow", ms: SLOW_MS });
    expect((await adminView(worker, key))[0]).toEqual({ index: 0, error: expect.any(String) });
    await clearFaults(worker);
    const untouched = await adminView(worker, freshKey("never"));
    expect(untouched.map((v) => v.present)).toEqual([false, false, false]);
  });
});

describe("N=3 through the real Worker, two acceptors faulty", () => {
  for (const [a, b] of [
    [{ acceptor: 1, mode: "down" }, { acceptor: 2, mode: "down" }],
    [{ acceptor: 0, mode: "hang" }, { acceptor: 2, mode: "slow", ms: SLOW_MS }],
  ]) {
    it(`answers 503/504 promptly with ${JSON.stringify([a, b])}, and after healing everything acknowledged is there`, async () => {
      const key = freshKey("maj");
      const counter = freshKey("majn");
      expect((await put(worker, key, "kept")).status).toBe(201);
      expect((await inc(worker, counter, 7)).status).toBe(200);
      await setFault(worker, a!);
      await setFault(worker, b!);
      await everyOperationFails(worker, key, counter);
      await clearFaults(worker);
      // Healed: acknowledged states are there. A 504 may or may not have been applied, and a change a minority
      // accepted may still be completed by a later round (a read's write-back, say): a first read may see the
      // acknowledged value and a later one the completed change, but once a read saw the change, none goes back.
      const after = await get(worker, key);
      const afterBody = after.status === 200 ? await after.text() : null;
      expect(["kept", "lost", null]).toContain(afterBody);
      const again = await get(worker, key);
      const againBody = again.status === 200 ? await again.text() : null;
      expect(["kept", "lost", null]).toContain(againBody);
      if (afterBody !== "kept") expect(againBody).toBe(afterBody);
      const n = Number(await (await get(worker, counter)).text());
      expect([7, 8]).toContain(n);
      // Writes work again.
      expect((await inc(worker, counter)).status).toBe(200);
    }, 10_000);
  }
});

describe("N=5 on its own cluster", () => {
  const five = appWithAdmin({ BALLOT_ACCEPTORS: "5", BALLOT_CLUSTER: "faults-five", BALLOT_LOCATION_HINTS: "" });

  afterEach(async () => {
    await clearFaults(five.app);
  });

  it("every operation succeeds with two acceptors faulty (down and slow, then hang and flaky)", async () => {
    await setFault(five.app, { acceptor: 0, mode: "down" });
    await setFault(five.app, { acceptor: 3, mode: "slow", ms: SLOW_MS });
    await everyOperationSucceeds(five.app);
    await clearFaults(five.app);
    await setFault(five.app, { acceptor: 4, mode: "hang" });
    await setFault(five.app, { acceptor: 1, mode: "flaky", rate: 1 });
    await everyOperationSucceeds(five.app);
  });

  it("three acceptors down: 503/504, nothing reported as success; healed: acknowledged state intact", async () => {
    const key = freshKey("five");
    expect((await put(five.app, key, "kept")).status).toBe(201);
    const view = await adminView(five.app, key);
    expect(view).toHaveLength(5);
    await setFault(five.app, { acceptor: 0, mode: "down" });
    await setFault(five.app, { acceptor: 2, mode: "hang" });
    await setFault(five.app, { acceptor: 4, mode: "down" });
    await everyOperationFails(five.app, key);
    await clearFaults(five.app);
    const after = await get(five.app, key);
    expect([200, 404]).toContain(after.status);
    if (after.status === 200) expect(["kept", "lost"]).toContain(await after.text());
    expect([200, 201]).toContain((await put(five.app, key, "again")).status);
  }, 10_000);
});

describe("acceptor restarts mid-run", () => {
  it("the restart route really restarts the objects, and storage survives", async () => {
    const key = freshKey("restart");
    expect((await put(worker, key, "v1")).status).toBe(201);
    const e = env as unknown as Env;
    const stub = () => e.ACCEPTOR.get(e.ACCEPTOR.idFromName(acceptorObjectName(loadConfig(e).cluster, shardOf(key), 0)));
    const before = await stub().instance();
    const res = await worker(req("/v1/admin/acceptors/0/restart", { method: "POST" }));
    expect(res.status).toBe(200);
    // Acceptor 0 of each of the first layout's 16 groups, and of the root group.
    expect(await res.json()).toEqual({ acceptor: 0, restarted: 17 });
    // A new in-memory instance, with its rows.
    expect(await stub().instance()).not.toBe(before);
    expect((await stub().inspect(key))?.state?.version).toBe(1);
    expect(await (await get(worker, key)).text()).toBe("v1");
  });

  it("concurrent increments and CAS chains lose nothing acknowledged across restarts of every acceptor", async () => {
    const counters = [freshKey("rc"), freshKey("rc")];
    const cas = freshKey("rcas");
    const acked = new Map<string, number>(counters.map((k) => [k, 0]));
    const unknown = new Map<string, number>(counters.map((k) => [k, 0]));
    let casVersion = 0;
    const casAcked: number[] = [];
    let stop = false;
    const incrementer = async (key: string) => {
      while (!stop) {
        const res = await inc(worker, key);
        if (res.status === 200) acked.set(key, acked.get(key)! + 1);
        else {
          expect([503, 504]).toContain(res.status);
          if (res.status === 504) unknown.set(key, unknown.get(key)! + 1);
        }
        await res.body?.cancel();
      }
    };
    const casChain = async () => {
      while (!stop) {
        const headers: Record<string, string> = casVersion === 0 ? { "if-none-match": "*" } : { "if-match": `"${casVersion}"` };
        const res = await put(worker, cas, `v${casVersion + 1}`, headers);
        if (res.status === 200 || res.status === 201) {
          casVersion = ((await res.json()) as { version: number }).version;
          casAcked.push(casVersion);
        } else if (res.status === 412) {
          // Only after a 504 whose write made it in: resynchronise from the current version.
          casVersion = ((await res.json()) as { error: { currentVersion: number } }).error.currentVersion;
        } else expect([503, 504]).toContain(res.status);
      }
    };
    const load = [...counters.map(incrementer), incrementer(counters[0]!), casChain()];
    for (const index of [0, 1, 2, 0]) {
      await new Promise((r) => setTimeout(r, 60));
      expect((await worker(req(`/v1/admin/acceptors/${index}/restart`, { method: "POST" }))).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 60));
    await abortAllDurableObjects();
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(load);
    for (const key of counters) {
      const final = Number(await (await get(worker, key)).text());
      expect(final).toBeGreaterThanOrEqual(acked.get(key)!);
      expect(final).toBeLessThanOrEqual(acked.get(key)! + unknown.get(key)!);
    }
    expect(casAcked.length).toBeGreaterThan(0);
    for (let i = 1; i < casAcked.length; i++) expect(casAcked[i]!).toBeGreaterThan(casAcked[i - 1]!);
    const final = await get(worker, cas);
    expect(Number(final.headers.get("etag")?.replaceAll('"', ""))).toBeGreaterThanOrEqual(casAcked.at(-1)!);
  });
});

describe("DEV_ADMIN off", () => {
  it("creates no admin (no routes, bare transport)", () => {
    const e = env as unknown as Env;
    expect(createDevAdmin(e.ACCEPTOR, e.COLLECTOR, e.RECONFIGURER, "main/reconfigurer", loadConfig({ ...e, DEV_ADMIN: "false" }))).toBeUndefined();
    expect(createDevAdmin(e.ACCEPTOR, e.COLLECTOR, e.RECONFIGURER, "main/reconfigurer", loadConfig({ ...e, DEV_ADMIN: undefined }))).toBeUndefined();
  });

  it("the Worker as served answers 404 on every admin route", async () => {
    const app = serve({ ...(env as unknown as Env), DEV_ADMIN: "false" });
    for (const [method, path] of [
      ["GET", "/v1/admin/faults"],
      ["POST", "/v1/admin/faults"],
      ["DELETE", "/v1/admin/faults"],
      ["GET", "/v1/admin/keys/a"],
      ["POST", "/v1/admin/acceptors/0/restart"],
    ] as const) {
      const res = await app(req(path, { method, body: method === "POST" ? '{"acceptor":0,"mode":"down"}' : undefined }));
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await errorOf(res)).code).toBe("not_found");
    }
  });
});

describe("the fault table API", () => {
  it("lists, sets and clears faults", async () => {
    const list = async () => (await (await worker(req("/v1/admin/faults"))).json()) as { acceptors: number; faults: unknown[] };
    expect(await list()).toEqual({
      acceptors: 3,
      faults: [0, 1, 2].map((acceptor) => ({ acceptor, mode: "none" })),
    });
    await setFault(worker, { acceptor: 2, mode: "flaky", rate: 0.25 });
    await setFault(worker, { acceptor: 0, mode: "slow", ms: 10 });
    expect((await list()).faults).toEqual([
      { acceptor: 0, mode: "slow", ms: 10 },
      { acceptor: 1, mode: "none" },
      { acceptor: 2, mode: "flaky", rate: 0.25 },
    ]);
    await setFault(worker, { acceptor: 0, mode: "none" });
    expect((await list()).faults[0]).toEqual({ acceptor: 0, mode: "none" });
    await clearFaults(worker);
    expect((await list()).faults[2]).toEqual({ acceptor: 2, mode: "none" });
  });

  it("refuses malformed faults with 400 JSON errors and changes nothing", async () => {
    await setFault(worker, { acceptor: 1, mode: "hang" });
    const before = await (await worker(req("/v1/admin/faults"))).text();
    const bad: (string | Uint8Array)[] = [
      "",
      "{",
      "[]",
      "null",
      '"down"',
      new Uint8Array([0x7b, 0xff, 0x7d]),
      JSON.stringify({ mode: "down" }),
      JSON.stringify({ acceptor: 3, mode: "down" }),
      JSON.stringify({ acceptor: -1, mode: "down" }),
      JSON.stringify({ acceptor: 0.5, mode: "down" }),
      JSON.stringify({ acceptor: "0", mode: "down" }),
      JSON.stringify({ acceptor: 0 }),
      JSON.stringify({ acceptor: 0, mode: "DOWN" }),
      JSON.stringify({ acceptor: 0, mode: "slow" }),
      JSON.stringify({ acceptor: 0, mode: "slow", ms: -1 }),
      JSON.stringify({ acceptor: 0, mode: "slow", ms: 1.5 }),
      JSON.stringify({ acceptor: 0, mode: "slow", ms: 600_001 }),
      JSON.stringify({ acceptor: 0, mode: "flaky" }),
      JSON.stringify({ acceptor: 0, mode: "flaky", rate: 1.5 }),
      JSON.stringify({ acceptor: 0, mode: "flaky", rate: "0.5" }),
      JSON.stringify({ acceptor: 0, mode: "down", ms: 5 }),
      JSON.stringify({ acceptor: 0, mode: "down", rate: 0.5 }),
      JSON.stringify({ acceptor: 0, mode: "down", extra: true }),
    ];
    for (const body of bad) {
      const res = await worker(req("/v1/admin/faults", { method: "POST", body }));
      expect(res.status, String(body)).toBe(400);
      expect(["invalid_json", "invalid_argument"]).toContain((await errorOf(res)).code);
    }
    const huge = await worker(req("/v1/admin/faults", { method: "POST", body: "x".repeat(2000) }));
    expect(huge.status).toBe(413);
    await errorOf(huge);
    for (const path of ["/v1/admin/acceptors/3/restart", "/v1/admin/acceptors/-1/restart", "/v1/admin/acceptors/01/restart", "/v1/admin/acceptors/x/restart"]) {
      const res = await worker(req(path, { method: "POST" }));
      expect(res.status, path).toBe(404);
      await errorOf(res);
    }
    const wrongMethod = await worker(req("/v1/admin/faults", { method: "PUT", body: "{}" }));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST, DELETE");
    expect((await worker(req("/v1/admin/keys/%ZZ"))).status).toBe(400);
    expect(await (await worker(req("/v1/admin/faults"))).text()).toBe(before);
  });
});

describe("chaos: faults changing under concurrent load", () => {
  it("late, lost and refused calls never lose an acknowledged increment or CAS", async () => {
    const counter = freshKey("chaos");
    const cas = freshKey("chaos-cas");
    let acked = 0;
    let unknown = 0;
    let maxAcked = 0;
    const casAcked: { version: number; body: string }[] = [];
    let stop = false;
    const incrementer = async () => {
      let last = 0;
      while (!stop) {
        const res = await inc(worker, counter);
        if (res.status === 200) {
          const { value } = (await res.json()) as { value: number };
          expect(value).toBeGreaterThan(last);
          last = value;
          acked++;
          maxAcked = Math.max(maxAcked, value);
        } else {
          expect([503, 504]).toContain(res.status);
          if (res.status === 504) unknown++;
          await res.body?.cancel();
        }
      }
    };
    const casChain = async () => {
      let current = 0;
      while (!stop) {
        const body = `c${current + 1}-${Math.random().toString(36).slice(2, 6)}`;
        const res = await put(worker, cas, body, current === 0 ? { "if-none-match": "*" } : { "if-match": `"${current}"` });
        if (res.status === 200 || res.status === 201) {
          current = ((await res.json()) as { version: number }).version;
          casAcked.push({ version: current, body });
        } else if (res.status === 412) {
          current = ((await res.json()) as { error: { currentVersion: number | null } }).error.currentVersion ?? 0;
        } else {
          expect([503, 504]).toContain(res.status);
          await res.body?.cancel();
        }
      }
    };
    const load = [incrementer(), incrementer(), incrementer(), casChain()];
    // Always a majority alive in each phase except one: late deliveries (slow just above the 250 ms round timeout),
    // dropped calls, then a short majority outage.
    const phases: Record<string, unknown>[][] = [
      [{ acceptor: 2, mode: "slow", ms: 300 }],
      [{ acceptor: 2, mode: "slow", ms: 300 }, { acceptor: 1, mode: "flaky", rate: 0.3 }],
      [{ acceptor: 0, mode: "down" }, { acceptor: 1, mode: "slow", ms: 30 }],
      [{ acceptor: 0, mode: "hang" }, { acceptor: 1, mode: "down" }],
      [{ acceptor: 1, mode: "flaky", rate: 0.5 }, { acceptor: 2, mode: "flaky", rate: 0.5 }],
      [],
    ];
    for (const phase of phases) {
      await clearFaults(worker);
      for (const fault of phase) await setFault(worker, fault);
      await new Promise((r) => setTimeout(r, 400));
    }
    stop = true;
    await Promise.all(load);
    await clearFaults(worker);
    const final = Number(await (await get(worker, counter)).text());
    console.log("chaos:", JSON.stringify({ acked, unknown, final, casAcked: casAcked.length }));
    expect(acked).toBeGreaterThan(0);
    expect(final).toBeGreaterThanOrEqual(Math.max(acked, maxAcked));
    expect(final).toBeLessThanOrEqual(acked + unknown);
    expect(casAcked.length).toBeGreaterThan(0);
    for (let i = 1; i < casAcked.length; i++) expect(casAcked[i]!.version).toBeGreaterThan(casAcked[i - 1]!.version);
    const last = casAcked.at(-1)!;
    const now = await get(worker, cas);
    const version = Number(now.headers.get("etag")?.replaceAll('"', ""));
    expect(version).toBeGreaterThanOrEqual(last.version);
    if (version === last.version) expect(await now.text()).toBe(last.body);
  }, 15_000);
});
