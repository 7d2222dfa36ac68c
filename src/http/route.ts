import type { RouteConfig } from "@hono/zod-openapi";

export type Method = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";

/** Answers a request; `params` are the pattern's path parameters still percent-encoded (key-path.ts decodes keys). */
export type Handler = (request: Request, params: Readonly<Record<string, string>>) => Promise<Response>;

/** One operation as the OpenAPI document describes it; its method and path come from the route. */
export type Operation = Omit<RouteConfig, "method" | "path">;

/**
 * A path pattern like `/v1/keys/:key/increment`, its handler per method (in the order `Allow` lists them) and, for
 * the public API, the OpenAPI operation of each method, whose schemas also validate the request.
 */
export interface Route {
  readonly pattern: string;
  readonly methods: Readonly<Partial<Record<Method, Handler>>>;
  /** Left out for the dev-only admin routes: they are not part of the API (and not in the document). */
  readonly operations?: Readonly<Partial<Record<Method, Operation>>>;
}

/** Whether a path's segments fit a pattern's (`:name` takes any one segment, an empty one too). */
export function patternMatches(pattern: readonly string[], segments: readonly string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => p.startsWith(":") || p === segments[i]);
}
