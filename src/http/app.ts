import { Hono } from "hono";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { ApiError, errorCodes, errorResponse } from "./errors.js";
import { keyRoutes, type Registers } from "./keys.js";
import { pathOf } from "./request-path.js";
import type { WaitSettings } from "./wait.js";
import { patternMatches, type Handler, type Method, type Route } from "./route.js";

export interface AppOptions {
  readonly registers: Registers;
  readonly maxValueBytes: number;
  /** Blocking reads (`GET /v1/keys/{key}?wait=V`); without it, `wait` and `timeout` are ignored as any unknown parameter. */
  readonly waiting?: WaitSettings;
  /** Further routes (admin, health, locks, ...), after the key routes. */
  readonly routes?: readonly Route[];
  /** Where internal failures are reported; never the client. */
  readonly logError?: (error: unknown) => void;
}

/** A route as the app serves it: its pattern and methods (for the OpenAPI check and the request log). */
export interface RouteInfo {
  readonly pattern: string;
  readonly methods: readonly string[];
}

/** The app, with the list of routes it serves. */
export type App = ((request: Request) => Promise<Response>) & { readonly routes: readonly RouteInfo[] };

/** The HTTP API. Every failure is JSON `{"error": {"code", "message"}}`; internal errors never leak details. */
export function createApp(options: AppOptions): App {
  return createRouter([...keyRoutes(options.registers, options.maxValueBytes, options.waiting), ...(options.routes ?? [])], options.logError);
}

/**
 * Serves the routes with Hono's RegExpRouter, matching the raw path (percent-encoded, dot segments resolved) so that
 * `%2F` inside a parameter never splits it and key-path.ts decodes each key exactly once. Ballot differs from Hono's
 * defaults in three ways, kept here: a known path with another method is 405 with `Allow` (Hono has no 405); HEAD
 * is served only where a route lists it (Hono answers HEAD with any GET handler); and an empty parameter segment
 * (`/v1/keys/`) reaches its route, to be refused as an empty key (Hono's `:param` never matches an empty segment).
 */
export function createRouter(routes: readonly Route[], logError: (error: unknown) => void = console.error): App {
  const hono = new Hono({ router: new RegExpRouter(), getPath: pathOf });
  const compiled = routes.map(compile);
  for (const route of compiled) {
    for (const method of Object.keys(route.methods) as Method[]) {
      // Hono dispatches HEAD to the GET handler (and drops the body): one registration serves both.
      if (method === "HEAD") continue;
      hono.on(method, route.pattern, (c) => answer(route, c.req.raw, segmentsOf(c.req.raw)));
    }
  }
  hono.notFound((c) => unmatched(c.req.raw));
  hono.onError((error, c) => remember(c.req.raw, failureResponse(error, logError)));

  /** No Hono route took it: a pattern with an empty parameter, another method (405), or no route (404). */
  const unmatched = async (request: Request): Promise<Response> => {
    const segments = segmentsOf(request);
    const route = compiled.find((r) => patternMatches(r.segments, segments));
    if (route === undefined) throw new ApiError(404, "not_found", `no route for ${pathOf(request)}`);
    return answer(route, request, segments);
  };

  const app = async (request: Request): Promise<Response> => {
    let response: Response;
    try {
      response = await hono.fetch(request);
    } catch (error) {
      // Hono's onError sees only Error instances; anything else thrown is rethrown, and still must not leak.
      return failureResponse(error, logError);
    }
    // Hono answers HEAD with a copy of the GET answer: carry the error code over for the request log.
    if (request.method === "HEAD") carryErrorCode(request, response);
    return response;
  };
  return Object.assign(app, { routes: routes.map((r) => ({ pattern: r.pattern, methods: Object.keys(r.methods) })) });
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
  readonly allow: string;
}

function compile(route: Route): CompiledRoute {
  return { ...route, segments: route.pattern.split("/"), allow: Object.keys(route.methods).join(", ") };
}

function segmentsOf(request: Request): string[] {
  return pathOf(request).split("/");
}

async function answer(route: CompiledRoute, request: Request, segments: readonly string[]): Promise<Response> {
  const handler: Handler | undefined = route.methods[request.method as Method];
  if (handler === undefined) throw new ApiError(405, "method_not_allowed", `allowed: ${route.allow}`, {}, { allow: route.allow });
  return remember(request, await handler(request, paramsOf(route.segments, segments)));
}

/** The pattern's parameters, as the raw (percent-encoded) segments of the path. */
function paramsOf(pattern: readonly string[], segments: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.startsWith(":")) params[p.slice(1)] = segments[i] as string;
  }
  return params;
}

function failureResponse(error: unknown, logError: (error: unknown) => void): Response {
  if (error instanceof ApiError) return errorResponse(error);
  logError(error);
  return errorResponse(new ApiError(500, "internal", "internal error"));
}

/** The answer a HEAD request got before Hono dropped its body. */
const headAnswers = new WeakMap<Request, Response>();

function remember(request: Request, response: Response): Response {
  if (request.method === "HEAD") headAnswers.set(request, response);
  return response;
}

function carryErrorCode(request: Request, response: Response): void {
  const inner = headAnswers.get(request);
  const code = inner === undefined ? undefined : errorCodes.get(inner);
  if (code !== undefined) errorCodes.set(response, code);
}
