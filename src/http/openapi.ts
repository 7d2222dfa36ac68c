import type { Route } from "./router.js";

/**
 * The OpenAPI 3.1 description of the v1 HTTP API, served at `GET /v1/openapi.json`. A test checks it against the
 * routes the Worker serves (every route and method is documented, and nothing else). The dev-only admin routes
 * (`/v1/admin/...`, DEV_ADMIN = "true") are left out: they do not exist in production.
 */

const ref = (name: string) => ({ $ref: `#/components/${name}` });
const keyParam = ref("parameters/Key");
const lockParam = ref("parameters/LockName");
const e = (name: string) => ref(`responses/${name}`);

/** Responses every protocol route can give. */
const common = {
  "400": e("BadRequest"),
  "401": e("Unauthorized"),
  "500": e("Internal"),
  "503": e("Unavailable"),
  "504": e("OutcomeUnknown"),
};

const jsonBody = (schema: unknown, description: string) => ({ description, content: { "application/json": { schema } } });

const versionHeaders = { ETag: ref("headers/ETag"), "Server-Timing": ref("headers/ServerTiming") };

const lockBody = (properties: Record<string, unknown>, required: string[]) => ({
  required: true,
  content: { "application/json": { schema: { type: "object", properties, required } } },
});
const owner = { type: "string", minLength: 1, maxLength: 256 };
const ttlMs = { type: "integer", minimum: 100, maximum: 86_400_000 };
const token = { type: "integer", minimum: 1, description: "The fencing token returned by acquire." };
const lockConflict = jsonBody(
  {
    type: "object",
    properties: {
      error: ref("schemas/ErrorBody"),
      holder: { oneOf: [{ type: "null" }, { type: "object", properties: { owner: { type: "string" }, expiresAt: { type: "integer" } } }] },
    },
  },
  "lock_held (another owner holds it) or not_holder (not held by this owner with this token)",
);

export const openApiDocument = {
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
  paths: {
    "/v1/keys/{key}": {
      parameters: [keyParam],
      get: {
        operationId: "getKey",
        summary: "Read a key",
        parameters: [ref("parameters/IfNoneMatchRead")],
        responses: {
          "200": {
            description: "The stored bytes with their content type; ETag is the version.",
            headers: versionHeaders,
            content: { "*/*": { schema: { type: "string", contentMediaType: "application/octet-stream" } } },
          },
          "304": { description: "If-None-Match names the current version.", headers: versionHeaders },
          "404": e("NotFound"),
          ...common,
        },
      },
      head: {
        operationId: "headKey",
        summary: "Read a key's headers (version, content type, length)",
        responses: {
          "200": { description: "As GET, without a body.", headers: versionHeaders },
          "304": { description: "If-None-Match names the current version." },
          "404": { description: "No such key (no body)." },
          ...common,
        },
      },
      put: {
        operationId: "putKey",
        summary: "Write a key (optionally compare-and-set or create-only)",
        parameters: [ref("parameters/IfMatch"), ref("parameters/IfNoneMatchWrite")],
        requestBody: {
          required: true,
          description: "The value: any bytes; the Content-Type is stored and returned (default application/octet-stream).",
          content: { "*/*": { schema: { type: "string", contentMediaType: "application/octet-stream" } } },
        },
        responses: {
          "200": { ...jsonBody(ref("schemas/Version"), "Replaced."), headers: versionHeaders },
          "201": { ...jsonBody(ref("schemas/Version"), "Created."), headers: versionHeaders },
          "412": e("PreconditionFailed"),
          "413": e("PayloadTooLarge"),
          ...common,
        },
      },
      delete: {
        operationId: "deleteKey",
        summary: "Delete a key (optionally only at a version)",
        parameters: [ref("parameters/IfMatch")],
        responses: {
          "204": { description: "Deleted.", headers: { "Server-Timing": ref("headers/ServerTiming") } },
          "404": e("NotFound"),
          "412": e("PreconditionFailed"),
          ...common,
        },
      },
    },
    "/v1/keys/{key}/increment": {
      parameters: [keyParam],
      post: {
        operationId: "incrementKey",
        summary: "Add to a decimal integer value (an absent key counts as 0)",
        requestBody: {
          required: false,
          description: "Empty: by 1.",
          content: { "application/json": { schema: { type: "object", properties: { by: { type: "integer" } }, required: ["by"] } } },
        },
        responses: {
          "200": {
            ...jsonBody({ type: "object", properties: { value: { type: "integer" }, version: { type: "integer" } }, required: ["value", "version"] }, "The new value and version."),
            headers: versionHeaders,
          },
          "409": e("Conflict"),
          ...common,
        },
      },
    },
    "/v1/locks/{name}": {
      parameters: [lockParam],
      get: {
        operationId: "getLock",
        summary: "The current holder of a lock",
        responses: { "200": jsonBody(ref("schemas/Lease"), "Held."), "404": e("NotFound"), ...common },
      },
    },
    "/v1/locks/{name}/acquire": {
      parameters: [lockParam],
      post: {
        operationId: "acquireLock",
        summary: "Acquire a lease; the token (fencing token) grows strictly across owners",
        requestBody: lockBody({ owner, ttlMs }, ["owner", "ttlMs"]),
        responses: { "200": jsonBody(ref("schemas/Lease"), "Acquired."), "409": lockConflict, ...common },
      },
    },
    "/v1/locks/{name}/renew": {
      parameters: [lockParam],
      post: {
        operationId: "renewLock",
        summary: "Extend a held lease",
        requestBody: lockBody({ owner, token, ttlMs }, ["owner", "token", "ttlMs"]),
        responses: { "200": jsonBody(ref("schemas/Lease"), "Renewed."), "409": lockConflict, ...common },
      },
    },
    "/v1/locks/{name}/release": {
      parameters: [lockParam],
      post: {
        operationId: "releaseLock",
        summary: "Release a held lease",
        requestBody: lockBody({ owner, token }, ["owner", "token"]),
        responses: { "204": { description: "Released." }, "409": lockConflict, ...common },
      },
    },
    "/v1/health": {
      get: {
        operationId: "health",
        summary: "Ping every acceptor (of one shard, or of all shards)",
        parameters: [{ name: "shard", in: "query", required: false, schema: { type: "integer", minimum: 0, maximum: 15 } }],
        responses: {
          "200": jsonBody(ref("schemas/Health"), "Every probed shard has a reachable majority (status ok or degraded)."),
          "503": jsonBody(ref("schemas/Health"), "Some probed shard has no reachable majority (status unavailable)."),
          "400": e("BadRequest"),
          "401": e("Unauthorized"),
          "500": e("Internal"),
        },
      },
    },
    "/v1/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        responses: { "200": jsonBody({ type: "object" }, "OpenAPI 3.1."), "401": e("Unauthorized") },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        description: "One of the tokens in the BALLOT_TOKENS secret. Not required when the server has none (local dev).",
      },
    },
    parameters: {
      Key: {
        name: "key",
        in: "path",
        required: true,
        description: "1 to 512 bytes of UTF-8, percent-encoded as one path segment (`/` as %2F); no control characters; not `.` or `..`.",
        schema: { type: "string" },
      },
      LockName: { name: "name", in: "path", required: true, description: "As a key.", schema: { type: "string" } },
      IfMatch: {
        name: "If-Match",
        in: "header",
        required: false,
        description: '`"<version>"`: compare-and-set on the version; `*`: only if the key exists.',
        schema: { type: "string" },
      },
      IfNoneMatchWrite: { name: "If-None-Match", in: "header", required: false, description: "`*`: create only.", schema: { type: "string", const: "*" } },
      IfNoneMatchRead: {
        name: "If-None-Match",
        in: "header",
        required: false,
        description: 'Entity tags `"<version>"` (or `*`): 304 when one names the current version.',
        schema: { type: "string" },
      },
    },
    headers: {
      ETag: { description: 'The version, as `"<version>"`.', schema: { type: "string" } },
      ServerTiming: { description: "Rounds, conflicts and the time of each protocol phase.", schema: { type: "string" } },
    },
    schemas: {
      ErrorBody: {
        type: "object",
        properties: { code: { type: "string" }, message: { type: "string" } },
        required: ["code", "message"],
        additionalProperties: true,
      },
      Error: { type: "object", properties: { error: ref("schemas/ErrorBody") }, required: ["error"] },
      Version: { type: "object", properties: { version: { type: "integer", minimum: 1 } }, required: ["version"] },
      Lease: {
        type: "object",
        properties: { owner: { type: "string" }, token: { type: "integer" }, expiresAt: { type: "integer" } },
        required: ["owner", "token", "expiresAt"],
      },
      Health: {
        type: "object",
        properties: {
          status: { enum: ["ok", "degraded", "unavailable"] },
          acceptors: { type: "integer" },
          majority: { type: "integer" },
          shards: {
            type: "array",
            items: {
              type: "object",
              properties: {
                shard: { type: "integer" },
                reachable: { type: "integer" },
                majority: { type: "boolean" },
                acceptors: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      index: { type: "integer" },
                      ok: { type: "boolean" },
                      latencyMs: { type: "number" },
                      locationHint: { type: ["string", "null"] },
                      error: { type: "string" },
                    },
                    required: ["index", "ok", "latencyMs"],
                  },
                },
              },
            },
          },
        },
        required: ["status", "acceptors", "majority", "shards"],
      },
    },
    responses: {
      BadRequest: jsonBody(ref("schemas/Error"), "The request is malformed (invalid_key, invalid_precondition, invalid_json, invalid_argument, ...)."),
      Unauthorized: {
        ...jsonBody(ref("schemas/Error"), "Missing or invalid bearer token."),
        headers: { "WWW-Authenticate": { schema: { type: "string" } } },
      },
      NotFound: jsonBody(ref("schemas/Error"), "not_found."),
      Conflict: jsonBody(ref("schemas/Error"), "not_integer or overflow; nothing changed."),
      PreconditionFailed: jsonBody(
        {
          type: "object",
          properties: {
            error: {
              allOf: [ref("schemas/ErrorBody"), { type: "object", properties: { currentVersion: { type: ["integer", "null"] } } }],
            },
          },
        },
        "precondition_failed, with the key's currentVersion (null when absent); nothing changed.",
      ),
      PayloadTooLarge: jsonBody(ref("schemas/Error"), "payload_too_large."),
      Internal: jsonBody(ref("schemas/Error"), "internal, or misconfigured (e.g. production without BALLOT_TOKENS)."),
      Unavailable: {
        ...jsonBody(ref("schemas/Error"), "unavailable: definitely not applied; retry after Retry-After."),
        headers: { "Retry-After": { schema: { type: "integer" } } },
      },
      OutcomeUnknown: jsonBody(ref("schemas/Error"), "outcome_unknown: maybe applied; read before retrying a change that is not idempotent."),
    },
  },
} as const;

/** `GET /v1/openapi.json`. */
export function openApiRoutes(): Route[] {
  const body = JSON.stringify(openApiDocument);
  return [
    {
      pattern: "/v1/openapi.json",
      methods: {
        GET: async () => new Response(body, { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300" } }),
      },
    },
  ];
}

/** The documented (path pattern, method) pairs, paths in router form (`/v1/keys/:key`), methods upper case. */
export function documentedRoutes(): { pattern: string; methods: string[] }[] {
  return Object.entries(openApiDocument.paths).map(([path, item]) => ({
    pattern: path.replace(/\{([^}]+)\}/g, ":$1"),
    methods: Object.keys(item)
      .filter((k) => ["get", "head", "put", "post", "delete", "patch", "options"].includes(k))
      .map((k) => k.toUpperCase()),
  }));
}

