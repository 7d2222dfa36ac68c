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

/** The HTTP API. Every failure is JSON `{"error": {"code", "message"}}`; internal errors never leak details. */
export function createApp(options: AppOptions): (request: Request) => Promise<Response> {
  const router = createRouter([...keyRoutes(options.registers, options.maxValueBytes), ...(options.routes ?? [])]);
  return async (request) => {
    try {
      return await router(request);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      (options.logError ?? console.error)(error);
      return errorResponse(new ApiError(500, "internal", "internal error"));
    }
  };
}
