/**
 * The client's and the CLI's layout calls against the documented contract of `GET`/`POST /v1/admin/layout`
 * (docs/api.md), served by a fake that answers as the server does: 202 with the change's id and epoch, 409
 * `change_in_progress` while one runs, 400 for a request the layout cannot take, 403 for a data token, and a
 * running change that advances one step per poll. The live server's side is tested in test/workers.
 */
import { describe, expect, it } from "vitest";
import { BadRequest, Conflict, Forbidden, LayoutChangeFailed, Unauthorized, Unavailable, createClient, type Layout, type LayoutChangeStatus } from "../../src/client/index.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { runCli } from "../support/cli-run.js";

const ADMIN = "admin-token-0123456789";
const DATA = "data-token-0123456789";
const STEPS = ["joint", "catch-up", "final", "done"] as const;

interface Fake {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  posted: unknown[];
  gets: number;
}

/** A server with one group of three; changes run through their steps one poll at a time, `fail` fails the next. */
function fakeServer(options: { fail?: string } = {}): Fake {
  let layout: Layout = {
    epoch: 1,
    vshards: 4096,
    groups: [{ id: 0, acceptors: ["a", "b", "c"].map((n, i) => ({ name: `ballot-g0-${n}`, locationHint: ["wnam", "enam", "weur"][i] ?? null })) }],
    change: null,
  };
  const fake: Fake = { posted: [], gets: 0, fetch: async () => new Response() };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const error = (status: number, code: string, message: string) => json(status, { error: { code, message } });
  fake.fetch = async (input, init = {}) => {
    const url = new URL(input);
    const auth = new Headers(init.headers).get("authorization");
    if (auth !== `Bearer ${ADMIN}` && auth !== `Bearer ${DATA}`) return error(401, "unauthorized", "a valid bearer token is required");
    if (url.pathname !== "/v1/admin/layout") return error(404, "not_found", `no route for ${url.pathname}`);
    if (auth !== `Bearer ${ADMIN}`) return error(403, "forbidden", "this route needs an admin token");
    if (init.method === "GET") {
      fake.gets++;
      const current = layout.change;
      if (current !== null && current.state === "running") {
        const step = STEPS[STEPS.indexOf(current.step) + 1] ?? "done";
        const failing = options.fail !== undefined && step === "final";
        const change: LayoutChangeStatus = failing
          ? { ...current, state: "failed", error: options.fail }
          : { ...current, step, state: step === "done" ? "done" : "running", vshardsDone: step === "catch-up" ? 1024 : step === "joint" ? 0 : 4096, keysCopied: step === "joint" ? 0 : 10 };
        layout = { ...layout, epoch: layout.epoch + 1, change };
      }
      return json(200, layout);
    }
    const body = JSON.parse(new TextDecoder().decode(init.body as Uint8Array)) as Record<string, unknown>;
    fake.posted.push(body);
    if (layout.change?.state === "running") return error(409, "change_in_progress", `change ${layout.change.id} is running`);
    if (typeof body.groups === "number" && body.groups > 666) return error(400, "invalid_request", "at most 666 groups of 3 fit local workerd");
    const id = (layout.change?.id ?? 0) + 1;
    const kind = "groups" in body ? "groups" : "acceptors" in body ? "acceptors" : "replace";
    layout = { ...layout, epoch: layout.epoch + 1, change: { id, kind, state: "running", step: "joint", vshardsDone: 0, vshardsTotal: 4096, keysCopied: 0 } };
    return json(202, { change: id, epoch: layout.epoch });
  };
  return fake;
}

describe("client: layout", () => {
  it("reads the layout, starts a change and follows it to done", async () => {
    const server = fakeServer();
    const client = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: server.fetch });
    const before = await client.layout();
    expect(before.groups[0]?.acceptors.map((a) => a.locationHint)).toEqual(["wnam", "enam", "weur"]);
    expect(before.change).toBeNull();

    const started = await client.changeLayout({ groups: 2 });
    expect(started).toEqual({ change: 1, epoch: 2 });
    expect(server.posted).toEqual([{ groups: 2 }]);
    await expect(client.changeLayout({ acceptors: 5 })).rejects.toMatchObject({ constructor: Conflict, code: "change_in_progress", status: 409 });

    const seen: string[] = [];
    const done = await client.waitForLayoutChange(1, { pollMs: 1, onProgress: (c) => seen.push(`${c.state}/${c.step}`) });
    expect(done).toMatchObject({ id: 1, state: "done", step: "done", vshardsDone: 4096 });
    expect(seen).toEqual(["running/catch-up", "running/final", "done/done"]);
  });

  it("a failed change throws LayoutChangeFailed with the server's reason", async () => {
    const server = fakeServer({ fail: "acceptor ballot-g1-a unreachable" });
    const client = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: server.fetch });
    const { change } = await client.changeLayout({ replace: { group: 0, index: 1, locationHint: "eeur" } });
    const failure = await client.waitForLayoutChange(change, { pollMs: 1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LayoutChangeFailed);
    expect((failure as LayoutChangeFailed).message).toContain("acceptor ballot-g1-a unreachable");
  });

  it("waiting for an unknown or superseded change says so instead of polling forever", async () => {
    const server = fakeServer();
    const client = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: server.fetch });
    await expect(client.waitForLayoutChange(1, { pollMs: 1 })).rejects.toMatchObject({ code: "unknown_change" });
    await client.changeLayout({ groups: 2 });
    await client.waitForLayoutChange(1, { pollMs: 1 });
    await client.changeLayout({ groups: 4 });
    await expect(client.waitForLayoutChange(1, { pollMs: 1 })).rejects.toMatchObject({ code: "change_superseded" });
  });

  it("an aborted wait stops polling", async () => {
    const server = fakeServer();
    const client = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: server.fetch });
    await client.changeLayout({ groups: 2 });
    const controller = new AbortController();
    const waiting = client.waitForLayoutChange(1, { pollMs: 60_000, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("operator gave up"));
    await expect(waiting).rejects.toThrow("operator gave up");
    expect(server.gets).toBe(1);
  });

  it("a data token gets Forbidden (a kind of Unauthorized), a bad request BadRequest", async () => {
    const server = fakeServer();
    const data = createClient({ baseUrl: "http://ballot.test", token: DATA, fetch: server.fetch });
    const refused = await data.layout().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Forbidden);
    expect(refused).toBeInstanceOf(Unauthorized);
    expect(refused).toMatchObject({ status: 403, code: "forbidden" });
    const admin = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: server.fetch });
    await expect(admin.changeLayout({ groups: 5000 })).rejects.toBeInstanceOf(BadRequest);
  });

  it("429 rate_limited is Unavailable with the server's Retry-After (not applied, retry later)", async () => {
    const limited = async () => new Response(JSON.stringify({ error: { code: "rate_limited", message: "over its rate limit" } }), { status: 429, headers: { "retry-after": "10", "content-type": "application/json" } });
    const client = createClient({ baseUrl: "http://ballot.test", token: ADMIN, fetch: limited });
    await expect(client.put("k", "v")).rejects.toMatchObject({ constructor: Unavailable, code: "rate_limited", retryAfter: 10 });
  });
});

describe("CLI: ballot layout", () => {
  const cli = (args: string[], server: Fake, token = ADMIN) => runCli(args, { BALLOT_URL: "http://ballot.test", BALLOT_TOKEN: token }, server.fetch);

  it("show prints the epoch, the groups with hints and the change", async () => {
    const server = fakeServer();
    const shown = await cli(["layout"], server);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toBe("epoch 1, 4096 vshards, 1 group(s)\n  group 0: ballot-g0-a (wnam), ballot-g0-b (enam), ballot-g0-c (weur)\nno change yet\n");
    const json = await cli(["layout", "show", "--json"], server);
    expect(JSON.parse(json.stdout)).toMatchObject({ epoch: 1, vshards: 4096, change: null });
  });

  it("split, grow and replace send the documented bodies; --wait follows to done", async () => {
    const server = fakeServer();
    const split = await cli(["layout", "split", "2", "--wait", "--poll", "1ms"], server);
    expect(split.code).toBe(EXIT.ok);
    expect(split.stdout).toBe("change 1 started (epoch 2)\nchange 1 (groups): done, 4096/4096 vshards, 10 keys copied\n");
    expect(split.stderr).toContain("change 1 (groups): running, step catch-up, 1024/4096 vshards, 10 keys copied");

    expect((await cli(["layout", "grow", "5", "--hints", "wnam,enam,weur,none,apac"], server)).code).toBe(EXIT.ok);
    expect((await cli(["layout", "wait", "--poll", "1ms"], server)).code).toBe(EXIT.ok);
    const replaced = await cli(["layout", "replace", "0", "2", "--hint", "eeur", "--json"], server);
    expect(JSON.parse(replaced.stdout)).toEqual({ change: 3, epoch: expect.any(Number) });
    expect(server.posted).toEqual([
      { groups: 2 },
      { acceptors: 5, locationHints: ["wnam", "enam", "weur", null, "apac"] },
      { replace: { group: 0, index: 2, locationHint: "eeur" } },
    ]);
  });

  it("exit codes: 5 while a change runs, 6 for a data token, 1 when the followed change fails, 2 for bad usage", async () => {
    const server = fakeServer({ fail: "catch-up could not reach a majority of group 0" });
    expect((await cli(["layout", "split", "2"], server)).code).toBe(EXIT.ok);
    expect((await cli(["layout", "split", "4"], server)).code).toBe(EXIT.conflict);
    expect((await cli(["layout"], server, DATA)).code).toBe(EXIT.unauthorized);
    const failed = await cli(["layout", "wait", "1", "--poll", "1ms"], server);
    expect(failed.code).toBe(EXIT.error);
    expect(failed.stderr).toContain("catch-up could not reach a majority of group 0");
    expect((await cli(["layout", "split"], server)).code).toBe(EXIT.usage);
    expect((await cli(["layout", "split", "-3"], server)).code).toBe(EXIT.usage);
    expect((await cli(["layout", "shrink", "3"], server)).code).toBe(EXIT.usage);
    expect(server.posted).toHaveLength(2);
  });
});
