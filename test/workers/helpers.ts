import { expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import { loadConfig } from "../../src/config.js";
import type { AcceptorRequest } from "../../src/core/messages.js";
import type { NamedTransport } from "../../src/core/routing/named-transport.js";
import { acceptorIndexOf } from "../../src/cluster/fault-injection.js";
import type { Env } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";

export const BASE = "http://ballot.test";

/** The real Worker entry point, as a client would reach it. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(BASE + path, init));
}

let counter = 0;
/** A key no other test touches (storage is shared by the tests of a file). */
export function freshKey(label = "k"): string {
  return `${label}-${Date.now().toString(36)}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function keyPath(key: string, suffix = ""): string {
  return `/v1/keys/${encodeURIComponent(key)}${suffix}`;
}

export type Fault = (index: number, request: AcceptorRequest) => "ok" | "fail" | "hang";

/**
 * An app with its own proposer whose transport passes through `fault` first: faults sit on the real call path to
 * the real acceptor objects, so the proposer meets them as it would meet a real failure.
 */
export function appWithFaults(fault: Fault, vars: Partial<Env> = {}): (request: Request) => Promise<Response> {
  const config = loadConfig({ ...(env as unknown as Env), ...vars });
  // On the data path only (the root group, which holds the layout, stays healthy): indexes are the objects'
  // acceptor indexes in their group.
  const named = (inner: NamedTransport): NamedTransport => ({
    send(acceptor, request) {
      const index = acceptorIndexOf(acceptor.name);
      const verdict = fault(index, request);
      if (verdict === "fail") return Promise.reject(new Error(`injected failure at acceptor ${index}`));
      if (verdict === "hang") return new Promise(() => {});
      return inner.send(acceptor, request);
    },
  });
  const proposer = createWorkerProposer(env as unknown as Env, config, { root: (t) => t, named });
  return createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, logError: () => {} });
}

export async function errorOf(response: Response): Promise<{ code: string; message: string; [k: string]: unknown }> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.code).toBe("string");
  expect(typeof body.error.message).toBe("string");
  return body.error;
}
