import { OpenAPIHono, z } from "@hono/zod-openapi";
import { unauthorized } from "./api-schemas.js";
import { healthOperations } from "./health.js";
import { keyOperations } from "./keys.js";
import { layoutOperations } from "./layout-admin.js";
import { listOperations } from "./list.js";
import { lockOperations } from "./locks.js";
import { txnOperations } from "./txn.js";
import { watchOperations } from "./watch.js";
import { watchPrefixOperations } from "./watch-prefix.js";
import type { Method, Operation, Route } from "./route.js";

/**
 * The OpenAPI 3.1 description of the v1 HTTP API, served at `GET /v1/openapi.json`, generated from the operations
 * the routes declare: the same zod schemas validate the requests. A test checks it against the routes the Worker
 * serves. The dev-only admin routes (`/v1/admin/...` but the layout, DEV_ADMIN = "true") are left out: they do
 * not exist in production. Generated on the first request for it, not at the isolate's start: generating costs tens of
 * milliseconds that no other request should wait for.
 */

const OPENAPI_PATTERN = "/v1/openapi.json";

export const openApiOperations = {
  [OPENAPI_PATTERN]: {
    GET: {
      operationId: "openapi",
      summary: "This document",
      responses: { 200: { description: "OpenAPI 3.1.", content: { "application/json": { schema: z.object({}).loose() } } }, 401: unauthorized },
    },
  },
} satisfies Record<string, Partial<Record<Method, Operation>>>;

/** Every documented operation, by pattern (router form, `/v1/keys/:key`) and method. */
const PUBLIC_API: Readonly<Record<string, Partial<Record<Method, Operation>>>> = {
  ...listOperations,
  ...keyOperations,
  ...watchOperations,
  ...watchPrefixOperations,
  ...lockOperations,
  ...txnOperations,
  ...healthOperations,
  ...layoutOperations,
  ...openApiOperations,
};

export function generateOpenApiDocument() {
  // Only its registry and generator are used: the routes are served by app.ts, which validates with the same schemas.
  const api = new OpenAPIHono();
  const registry = api.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "One of the tokens in the BALLOT_TOKENS secret. Not required when the server has none (local dev).",
  });
  for (const [pattern, operations] of Object.entries(PUBLIC_API)) {
    for (const [method, operation] of Object.entries(operations)) {
      registry.registerPath({ ...operation, method: method.toLowerCase() as "get", path: pattern.replace(/:([^/]+)/g, "{$1}") });
    }
  }
  return api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Ballot",
      version: "1.0.0",
      description:
        "Linearizable registers over HTTP (CASPaxos over Durable Object acceptors). Every error is JSON " +
        '`{"error": {"code", "message", ...}}`. 503 means definitely not applied (retry after Retry-After); 504 means ' +
        "maybe applied (read before retrying a change that is not idempotent).",
    },
    security: [{ bearer: [] }],
  });
}

/** `GET /v1/openapi.json`. */
export function openApiRoutes(): Route[] {
  let body: string | undefined;
  return [
    {
      pattern: OPENAPI_PATTERN,
      methods: {
        GET: async () => new Response((body ??= JSON.stringify(generateOpenApiDocument())), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300" } }),
      },
      operations: openApiOperations[OPENAPI_PATTERN],
    },
  ];
}
