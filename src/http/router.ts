import { ApiError } from "./errors.js";
import { pathOf } from "./request-path.js";

export type Handler = (request: Request, params: Readonly<Record<string, string>>) => Promise<Response>;

/** A path pattern like `/v1/keys/:key/increment` and its handler per method. Params stay percent-encoded. */
export interface Route {
  readonly pattern: string;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
}

/**
 * Matches a request to a route by its raw path segments (still percent-encoded, so `%2F` inside a parameter never
 * splits it). Unknown paths are 404, known paths with another method 405 with `Allow`.
 */
export function createRouter(routes: readonly Route[]): (request: Request) => Promise<Response> {
  const compiled = routes.map((route) => ({ route, segments: route.pattern.split("/") }));
  return async (request) => {
    const pathname = pathOf(request);
    const segments = pathname.split("/");
    for (const { route, segments: pattern } of compiled) {
      const params = match(pattern, segments);
      if (params === null) continue;
      const handler = route.methods[request.method];
      if (handler === undefined) {
        const allow = Object.keys(route.methods).join(", ");
        throw new ApiError(405, "method_not_allowed", `allowed: ${allow}`, {}, { allow });
      }
      return handler(request, params);
    }
    throw new ApiError(404, "not_found", `no route for ${pathname}`);
  };
}

function match(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(":")) params[p.slice(1)] = s;
    else if (p !== s) return null;
  }
  return params;
}
