import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../examples/node-script.js";
import { freePort, startLocalServer, type LocalServer } from "../support/local-server.js";

// The examples run in CI: the Node script against a local Ballot over HTTP, and the Worker app in one `wrangler dev`
// session with Ballot, reaching it through a real service binding.
const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "example-token-0123456789abc";

describe("examples/node-script.ts", () => {
  let server: LocalServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballot-example-"));
    server = await startLocalServer({ persistTo: dir, vars: { BALLOT_TOKENS: TOKEN } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("main() edits a JSON document, counts runs and sees a stale CAS refused", async () => {
    const lines: string[] = [];
    const first = await main({ baseUrl: server.url, token: TOKEN, log: (l) => lines.push(l) });
    expect(first).toEqual({
      settings: { featureFlags: { newCheckout: true }, editedBy: ["node-script"] },
      settingsVersion: 1,
      runs: 1,
      casRefused: true,
    });
    const second = await main({ baseUrl: server.url, token: TOKEN, log: () => {} });
    expect(second.runs).toBe(2);
    expect(second.settings.editedBy).toEqual(["node-script", "node-script"]);
    expect(lines.some((l) => l.includes("stale write refused"))).toBe(true);
  });
});

describe("examples/worker-app (service binding)", () => {
  let url: string;
  let stop: () => Promise<void>;
  let dir: string;
  let output = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballot-example-app-"));
    const port = await freePort();
    const inspector = await freePort();
    // The first config is served on the port; the second (Ballot) is reachable only through the BALLOT binding.
    const child = spawn(
      resolve(ROOT, "node_modules/.bin/wrangler"),
      ["dev", "-c", "examples/worker-app/wrangler.toml", "-c", "wrangler.toml", "--ip", "127.0.0.1", "--port", String(port),
        "--inspector-port", String(inspector), "--persist-to", dir, "--show-interactive-dev-session=false"],
      { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true" } },
    );
    child.stdout?.on("data", (c: Buffer) => void (output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => void (output += c.toString()));
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    stop = async () => {
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        return;
      }
      const force = setTimeout(() => {
        try {
          process.kill(-(child.pid as number), "SIGKILL");
        } catch {
          // gone
        }
      }, 5000);
      await exited;
      clearTimeout(force);
    };
    url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 45_000;
    for (;;) {
      try {
        const res = await fetch(`${url}/ready-probe`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 404) break;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`example app did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts votes with concurrent read-modify-writes and a counter, through the binding", async () => {
    const vote = (option: string) =>
      fetch(`${url}/polls/lunch/vote`, { method: "POST", body: JSON.stringify({ option }) }).then((r) => r.json());
    await Promise.all([vote("pizza"), vote("pizza"), vote("sushi"), vote("pizza"), vote("tacos")]);
    const tally = (await (await fetch(`${url}/polls/lunch`)).json()) as { tally: Record<string, number>; version: number };
    expect(tally).toEqual({ tally: { pizza: 3, sushi: 1, tacos: 1 }, version: 5 });
    expect(await (await fetch(`${url}/hits`, { method: "POST" })).json()).toEqual({ value: 1, version: 1 });
    // Ballot's own routes are not served on the app's port: the app is the only way in.
    expect((await fetch(`${url}/v1/keys/hits`)).status).toBe(404);
  });
});
