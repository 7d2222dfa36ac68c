import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient, type FetchLike } from "../../src/client/index.js";
import { systemClock } from "../../src/cluster/runtime.js";
import { loadConfig } from "../../src/config.js";
import type { HintSource } from "../../src/core/watch/hints.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { watchPrefixRoutes } from "../../src/http/watch-prefix.js";
import { watchRoutes } from "../../src/http/watch.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { BASE, freshKey } from "./helpers.js";

// A stream the server ends (its lifetime is up, src/http/stream-lifetime.ts) is a reason to reconnect, not the end of
// a watch: the typed client resumes from its last id, and nothing is missed or repeated across the ends.

const toWorker: FetchLike = (input, init) => exports.default.fetch(new Request(input, init));
const writer = createClient({ baseUrl: BASE, fetch: toWorker });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client whose watches go to an app of short-lived streams (no hints: rechecks every 100 ms), the rest to the
 * Worker; it records each stream's Last-Event-ID and how its body ended.
 */
function shortStreams(maxStreamMs: number) {
  const config = loadConfig(env as unknown as Env);
  const proposer = createWorkerProposer(env as unknown as Env, config);
  const deaf: HintSource = { subscribe: () => () => {}, subscribePrefix: () => () => {} };
  const settings = { hints: deaf, clock: systemClock, recheckMs: 100, maxStreamMs };
  const routes = [...watchRoutes(proposer.registers, settings), ...watchPrefixRoutes(proposer.registers, { ...settings, scanVersions: proposer.scanVersions })];
  const app = createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, routes });
  const streams: { lastEventId: string | null; ended: "open" | "clean" | "error" }[] = [];
  const fetch: FetchLike = async (input, init) => {
    if (!input.includes("/v1/watch")) return toWorker(input, init);
    const stream = { lastEventId: new Headers(init?.headers).get("last-event-id"), ended: "open" as "open" | "clean" | "error" };
    streams.push(stream);
    const response = await app(new Request(input, init));
    const reader = response.body!.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            stream.ended = "clean";
            return controller.close();
          }
          controller.enqueue(value);
        } catch (error) {
          stream.ended = "error";
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { client: createClient({ baseUrl: BASE, fetch }), streams };
}

describe("typed client: streams the server ends", { timeout: 60_000 }, () => {
  it("watch: resumed from the last version after each clean end; every put seen once, in order", async () => {
    const key = freshKey("end-watch");
    const { client, streams } = shortStreams(500);
    const abort = new AbortController();
    const seen: number[] = [];
    const watching = (async () => {
      for await (const e of client.watch(key, { signal: abort.signal, reconnectMs: 50 })) seen.push(e.version);
    })();
    const versions: number[] = [];
    for (let i = 0; i < 5; i++) {
      versions.push((await writer.put(key, `v${i}`)).version);
      while (seen.length < versions.length) await sleep(20);
      await sleep(700); // at least one stream ends meanwhile
    }
    abort.abort();
    await watching;
    expect(seen).toEqual(versions);
    const ended = streams.slice(0, -1);
    expect(ended.length).toBeGreaterThanOrEqual(5);
    expect(ended.every((s) => s.ended === "clean")).toBe(true);
    // Each stream resumed after the last version the client had when it opened.
    for (const s of streams.slice(1)) expect(versions.map(String).concat("0")).toContain(s.lastEventId);
    expect(streams.at(-1)!.lastEventId).toBe(String(versions.at(-1)));
  });

  it("watchPrefix: resumed from the last id after each clean end; every put seen once, no reset", async () => {
    const prefix = `${freshKey("end-prefix")}/`;
    const { client, streams } = shortStreams(1_000);
    const abort = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of client.watchPrefix(prefix, { signal: abort.signal, reconnectMs: 50 })) {
        if (e.kind !== "synced") seen.push(e.kind === "reset" ? "reset" : `${e.kind} ${e.key.slice(prefix.length)}@${e.version}`);
      }
    })();
    const expected: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { version } = await writer.put(`${prefix}k${i % 2}`, `v${i}`);
      expected.push(`put k${i % 2}@${version}`);
      while (seen.length < expected.length) await sleep(20);
      await sleep(1_200); // at least one stream ends meanwhile
    }
    abort.abort();
    await watching;
    expect(seen).toEqual(expected);
    expect(streams.length).toBeGreaterThanOrEqual(5);
    expect(streams.slice(0, -1).every((s) => s.ended === "clean")).toBe(true);
    expect(streams.slice(1).every((s) => s.lastEventId !== null)).toBe(true);
  });
});
