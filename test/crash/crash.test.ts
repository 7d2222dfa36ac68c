import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalServer, type LocalServer } from "../support/local-server.js";

/**
 * Whole-process crashes: the Worker and its acceptor objects run in a real `wrangler dev` with persisted state;
 * concurrent clients increment counters and run compare-and-set chains; the whole process group is SIGKILLed in
 * the middle of the load and restarted on the same state, three times. Every acknowledged write must survive.
 */
const CRASHES = 3;
const COUNTERS = ["crash-counter-a", "crash-counter-b", "crash-counter-c"];
const CHAINS = ["crash-chain-a", "crash-chain-b"];

interface CounterLog {
  acked: number;
  /** Answers that may or may not have been applied: 504, another 5xx but 503, or a connection cut by the crash. */
  unknown: number;
  /** The highest value an acknowledged increment returned. */
  maxAckedValue: number;
}

interface ChainLog {
  /** Version and body of the last acknowledged write. */
  lastAcked: { version: number; body: string } | null;
}

let server: LocalServer | undefined;
let dir: string | undefined;
afterAll(async () => {
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function request(url: string, init?: RequestInit): Promise<{ status: number; text: string; etag: string | null } | null> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text(), etag: res.headers.get("etag") };
  } catch {
    return null; // Connection refused or cut: the crash.
  }
}

const versionOf = (etag: string | null) => (etag === null ? 0 : Number(etag.replaceAll('"', "")));

async function incrementer(base: () => string, key: string, log: CounterLog, running: () => boolean): Promise<void> {
  // One client's increments are sequential: each one it sees acknowledged lands above the previous one.
  let last = 0;
  while (running()) {
    const res = await request(`${base()}/v1/keys/${key}/increment`, { method: "POST", body: '{"by":1}' });
    if (res?.status === 200) {
      const { value, version } = JSON.parse(res.text) as { value: number; version: number };
      expect(version).toBe(value); // Only increments of 1 from an absent key: value and version move together.
      expect(value).toBeGreaterThan(last);
      last = value;
      log.acked++;
      log.maxAckedValue = Math.max(log.maxAckedValue, value);
    } else if (res?.status !== 503) {
      log.unknown++;
    }
  }
}

async function chain(base: () => string, key: string, log: ChainLog, running: () => boolean): Promise<void> {
  let current = log.lastAcked?.version ?? 0;
  while (running()) {
    const body = `${key}@${current + 1}-${Math.random().toString(36).slice(2, 8)}`;
    const headers: Record<string, string> = current === 0 ? { "if-none-match": "*" } : { "if-match": `"${current}"` };
    const res = await request(`${base()}/v1/keys/${key}`, { method: "PUT", body, headers });
    if (res?.status === 200 || res?.status === 201) {
      const { version } = JSON.parse(res.text) as { version: number };
      expect(version).toBe(current + 1);
      expect(version).toBeGreaterThan(log.lastAcked?.version ?? 0);
      log.lastAcked = { version, body };
      current = version;
    } else if (res?.status === 412) {
      // After an unknown outcome that did apply: continue from the version the server reports.
      current = (JSON.parse(res.text) as { error: { currentVersion: number | null } }).error.currentVersion ?? 0;
    } else if (res === null || res.status >= 500) {
      // Unknown or unavailable: re-read before the next attempt (if the server is reachable).
      const read = await request(`${base()}/v1/keys/${key}`);
      if (read?.status === 200) current = versionOf(read.etag);
    }
  }
}

async function verify(url: string, counters: Map<string, CounterLog>, chains: Map<string, ChainLog>): Promise<void> {
  for (const [key, log] of counters) {
    const res = await request(`${url}/v1/keys/${key}`);
    expect(res, key).not.toBeNull();
    if (log.acked === 0 && res!.status === 404) continue;
    expect(res!.status, key).toBe(200);
    const value = Number(res!.text);
    expect(versionOf(res!.etag)).toBe(value);
    expect(value, `${key}: acknowledged ${log.acked}, unknown ${log.unknown}`).toBeGreaterThanOrEqual(log.acked);
    expect(value).toBeGreaterThanOrEqual(log.maxAckedValue);
    expect(value).toBeLessThanOrEqual(log.acked + log.unknown);
  }
  for (const [key, log] of chains) {
    const res = await request(`${url}/v1/keys/${key}`);
    expect(res, key).not.toBeNull();
    if (log.lastAcked === null) continue;
    expect(res!.status, key).toBe(200);
    const version = versionOf(res!.etag);
    // Never behind the last acknowledged write; if at its version, it is that write.
    expect(version).toBeGreaterThanOrEqual(log.lastAcked.version);
    if (version === log.lastAcked.version) expect(res!.text).toBe(log.lastAcked.body);
  }
}

describe("whole-process crashes of a local server with persisted state", () => {
  it(`loses no acknowledged write across ${CRASHES} SIGKILLs mid-load`, async () => {
    dir = await mkdtemp(join(tmpdir(), "ballot-crash-"));
    server = await startLocalServer({ persistTo: dir });
    const counters = new Map(COUNTERS.map((k) => [k, { acked: 0, unknown: 0, maxAckedValue: 0 } as CounterLog]));
    const chains = new Map(CHAINS.map((k) => [k, { lastAcked: null } as ChainLog]));
    let url = server.url;
    const base = () => url;

    for (let crash = 0; crash < CRASHES; crash++) {
      let running = true;
      const clients = [
        ...COUNTERS.flatMap((k) => [0, 1].map(() => incrementer(base, k, counters.get(k)!, () => running))),
        ...CHAINS.map((k) => chain(base, k, chains.get(k)!, () => running)),
      ];
      // Let the load run, then crash the whole process group while requests are in flight.
      await new Promise((r) => setTimeout(r, 1200 + Math.random() * 800));
      await server.kill("SIGKILL");
      running = false;
      await Promise.all(clients);
      server = await startLocalServer({ persistTo: dir });
      url = server.url;
      await verify(url, counters, chains);
    }
    const totalAcked = [...counters.values()].reduce((n, c) => n + c.acked, 0);
    expect(totalAcked).toBeGreaterThan(0);
    expect([...chains.values()].every((c) => c.lastAcked !== null)).toBe(true);
    // Writes keep working after the last restart, and the sequences continue.
    for (const key of COUNTERS) {
      const res = await request(`${url}/v1/keys/${key}/increment`, { method: "POST", body: '{"by":1}' });
      expect(res?.status).toBe(200);
      const log = counters.get(key)!;
      log.acked++;
      log.maxAckedValue = Math.max(log.maxAckedValue, (JSON.parse(res!.text) as { value: number }).value);
    }
    await verify(url, counters, chains);
    console.log(
      "crash test:",
      JSON.stringify({ counters: Object.fromEntries(counters), chains: Object.fromEntries([...chains].map(([k, c]) => [k, c.lastAcked?.version])) }),
    );
    await server.stop();
  }, 150_000);
});
