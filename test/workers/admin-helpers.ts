import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Env } from "../../src/env.js";
import { createDevAdmin, type DevAdmin } from "../../src/http/admin.js";
import { createApp } from "../../src/http/app.js";
import { createWorkerProposer } from "../../src/proposer/worker-proposer.js";
import { reconfigurerObjectName } from "../../src/reconfigurer/reconfigurer-object.js";
import { BASE, call } from "./helpers.js";

export type App = (request: Request) => Promise<Response>;

/** The main Worker (`exports.default.fetch`) as an App. */
export const worker: App = (request) => call(new URL(request.url).pathname + new URL(request.url).search, request);

/**
 * An app wired exactly like the Worker's buildApp (dev admin on), with other vars: e.g. N=5 on its own cluster.
 * It has its own proposer and its own fault table.
 */
export function appWithAdmin(vars: Partial<Env>): { app: App; admin: DevAdmin } {
  const config = loadConfig({ ...(env as unknown as Env), DEV_ADMIN: "true", ...vars });
  const e = env as unknown as Env;
  const admin = createDevAdmin(e.ACCEPTOR, e.COLLECTOR, e.RECONFIGURER, reconfigurerObjectName(config.cluster), config);
  if (admin === undefined) throw new Error("dev admin is off");
  const proposer = createWorkerProposer(e, config, admin.wrap);
  const app = createApp({ registers: proposer.registers, maxValueBytes: config.maxValueBytes, routes: admin.routes(proposer.layout), logError: () => {} });
  return { app, admin };
}

export function req(path: string, init?: RequestInit): Request {
  return new Request(BASE + path, init);
}

export async function setFault(app: App, fault: Record<string, unknown>): Promise<void> {
  const res = await app(req("/v1/admin/faults", { method: "POST", body: JSON.stringify(fault) }));
  expect(res.status, await res.clone().text()).toBe(200);
}

export async function clearFaults(app: App): Promise<void> {
  expect((await app(req("/v1/admin/faults", { method: "DELETE" }))).status).toBe(200);
}

export type SlotView = { index: number; present?: boolean; version?: number | null; accepted?: string | null; error?: string };

export async function adminView(app: App, key: string): Promise<SlotView[]> {
  const res = await app(req(`/v1/admin/keys/${encodeURIComponent(key)}`));
  expect(res.status).toBe(200);
  return ((await res.json()) as { acceptors: SlotView[] }).acceptors;
}
