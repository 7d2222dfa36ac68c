/** A client-facing failure: always answered as JSON `{"error": {"code", "message", ...details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The error code of each error response, so the request log need not parse bodies back. */
export const errorCodes = new WeakMap<Response, string>();

export function errorResponse(error: ApiError, extraHeaders: Record<string, string> = {}): Response {
  const response = json(error.status, { error: { code: error.code, message: error.message, ...error.details } }, {
    ...error.headers,
    ...extraHeaders,
  });
  errorCodes.set(response, error.code);
  return response;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}
