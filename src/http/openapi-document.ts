import { generateOpenApiDocument } from "./openapi-route.js";

/** The generated OpenAPI document as a value, for tests and tools (the Worker generates it on its first request). */
export const openApiDocument = generateOpenApiDocument();

/** The documented (path pattern, method) pairs, paths in router form (`/v1/keys/:key`), methods upper case. */
export function documentedRoutes(): { pattern: string; methods: string[] }[] {
  return Object.entries(openApiDocument.paths ?? {}).map(([path, item]) => ({
    pattern: path.replace(/\{([^}]+)\}/g, ":$1"),
    methods: Object.keys(item)
      .filter((k) => ["get", "head", "put", "post", "delete", "patch", "options"].includes(k))
      .map((k) => k.toUpperCase()),
  }));
}

