import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env.js";
import { routeTable, serve } from "../../src/index.js";
import { BASE, call } from "./helpers.js";

// The OpenAPI document is generated from the schemas the routes validate with (src/http/openapi-document.ts). These
// tests hold it to the app: the same routes, and example requests that get the documented answers.

interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly schema?: { readonly example?: unknown };
}
interface Operation {
  readonly operationId: string;
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content: Record<string, { readonly schema: { readonly example?: unknown } }> };
  readonly responses: Record<string, unknown>;
}
interface Document {
  readonly openapi: string;
  readonly info: { readonly title: string };
  readonly security: unknown;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly securitySchemes: Record<string, unknown> };
}

async function servedDocument(): Promise<Document> {
  const res = await call("/v1/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })));

describe("the generated OpenAPI document", () => {
  it("documents exactly the routes the app serves without DEV_ADMIN, and of the admin routes only the operator's layout", async () => {
    const doc = await servedDocument();
    const documented = operationsOf(doc).map(({ path, method }) => `${method} ${path.replace(/\{([^}]+)\}/g, ":$1")}`).sort();
    const served = routeTable({ ...(env as unknown as Env), DEV_ADMIN: "false" })
      .flatMap((r) => r.methods.map((m) => `${m} ${r.pattern}`))
      .sort();
    expect(documented).toEqual(served);
    expect(documented.filter((r) => r.includes("/v1/admin/"))).toEqual(["GET /v1/admin/layout", "POST /v1/admin/layout"]);
    expect(documented).toContain("HEAD /v1/keys/:key");
  });

  it("keeps the document's info, security scheme and bearer requirement", async () => {
    const doc = await servedDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Ballot");
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents a 400 for every operation that takes a key, a body or a query, and 401 for every operation", async () => {
    for (const { path, method, operation } of operationsOf(await servedDocument())) {
      expect(Object.keys(operation.responses), `${method} ${path}`).toContain("401");
      const takesInput = (operation.parameters ?? []).some((p) => p.in !== "header") || operation.requestBody !== undefined;
      if (takesInput) expect(Object.keys(operation.responses), `${method} ${path}`).toContain("400");
    }
  });

  it("every documented example request gets a documented success from a live server", async () => {
    const doc = await servedDocument();
    // Writes before the reads that need them, the lock acquired before it is renewed and released: one scenario over
    // the examples, on a cluster of its own so that nothing else has touched its keys.
    const scenario = ["putKey", "getKey", "headKey", "watchKey", "watchPrefix", "listKeys", "incrementKey", "transaction", "deleteKey", "acquireLock", "getLock", "renewLock", "releaseLock", "health", "openapi", "changeLayout", "getLayout"];
    const operations = operationsOf(doc);
    expect([...scenario].sort()).toEqual(operations.map((o) => o.operation.operationId).sort());
    const app = serve({ ...(env as unknown as Env), BALLOT_CLUSTER: `openapi-${Date.now().toString(36)}` });
    for (const id of scenario) {
      const { path, method, operation } = operations.find((o) => o.operation.operationId === id)!;
      let url = path;
      const query = new URLSearchParams();
      for (const parameter of operation.parameters ?? []) {
        const example = parameter.schema?.example;
        if (parameter.in === "path") {
          expect(example, `${id}: example of ${parameter.name}`).toBeDefined();
          url = url.replace(`{${parameter.name}}`, encodeURIComponent(String(example)));
        } else if (parameter.in === "query" && example !== undefined) query.set(parameter.name, String(example));
      }
      const [type, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
      if (operation.requestBody !== undefined) expect(media?.schema.example, `${id}: example body`).toBeDefined();
      const body = media === undefined ? undefined : typeof media.schema.example === "string" ? media.schema.example : JSON.stringify(media.schema.example);
      const headers = type === undefined || type === "*/*" ? { "content-type": "text/plain" } : { "content-type": type };
      const res = await app(new Request(`${BASE}${url}${query.size > 0 ? `?${query}` : ""}`, { method, body, headers }));
      const successes = Object.keys(operation.responses).filter((status) => status.startsWith("2"));
      // A watch stream never ends: its status and first bytes are the answer, then the client hangs up.
      const streaming = res.headers.get("content-type")?.startsWith("text/event-stream") === true;
      if (streaming) {
        const reader = res.body!.getReader();
        expect(new TextDecoder().decode((await reader.read()).value), `${id}: first bytes`).toMatch(/^: watching/);
        await reader.cancel();
      }
      expect(successes, `${id}: ${method} ${url} answered ${res.status} ${streaming ? "(a stream)" : await res.text()}`).toContain(String(res.status));
    }
  });
});
