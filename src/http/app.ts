import { ApiError, errorResponse } from "./errors.js";
import { keyRoutes, type Registers } from "./keys.js";
import { createRouter, type Route } from "./router.js";

export interface AppOptions {
  readonly registers: Registers;
  readonly maxValueBytes: number;
  /** Further routes (admin, health, locks, ...), tried after the key routes. */
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
  const all = [...keyRoutes(options.registers, options.maxValueBytes), ...(options.routes ?? [])];
  const router = createRouter(all);
  const routes = all.map((r) => ({ pattern: r.pattern, methods: Object.keys(r.methods) }));
  return Object.assign(async (request: Request) => {
    try {
      return await router(request);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      (options.logError ?? console.error)(error);
      return errorResponse(new ApiError(500, "internal", "internal error"));
    }
  }, { routes });
}
