import { ApiError, errorResponse } from "./errors.js";
import { parseKeyRoute } from "./key-path.js";
import { deleteKey, getKey, incrementKey, putKey, type Registers } from "./keys.js";

export interface AppOptions {
  readonly registers: Registers;
  readonly maxValueBytes: number;
  /** Where internal failures are reported; never the client. */
  readonly logError?: (error: unknown) => void;
}

/** The HTTP API v1. Every failure is JSON `{"error": {"code", "message"}}`; internal errors never leak details. */
export function createApp(options: AppOptions): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await route(request, options);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      (options.logError ?? console.error)(error);
      return errorResponse(new ApiError(500, "internal", "internal error"));
    }
  };
}

async function route(request: Request, { registers, maxValueBytes }: AppOptions): Promise<Response> {
  const { pathname } = new URL(request.url);
  const keyRoute = parseKeyRoute(pathname);
  if (keyRoute === null) throw new ApiError(404, "not_found", `no route for ${pathname}`);
  const { key, action } = keyRoute;
  const method = request.method;
  if (action === "increment") {
    if (method === "POST") return incrementKey(registers, key, request);
    throw methodNotAllowed("POST");
  }
  switch (method) {
    case "GET":
    case "HEAD":
      return getKey(registers, key, request);
    case "PUT":
      return putKey(registers, key, request, maxValueBytes);
    case "DELETE":
      return deleteKey(registers, key, request);
    default:
      throw methodNotAllowed("GET, HEAD, PUT, DELETE");
  }
}

function methodNotAllowed(allow: string): ApiError {
  return new ApiError(405, "method_not_allowed", `allowed: ${allow}`, {}, { allow });
}
