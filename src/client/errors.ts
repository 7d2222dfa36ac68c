/**
 * Errors of the Ballot client. Every failure of a call is a `BallotError` (or a `TypeError` for a misuse such as
 * `ifVersion` together with `ifAbsent`); the subclass says what a caller may do next.
 */
export class BallotError extends Error {
  override readonly name: string = "BallotError";
  constructor(
    message: string,
    /** The server's error code (`precondition_failed`, `unavailable`, ...) or a client-side one (`network_error`). */
    readonly code: string,
    /** The HTTP status, or 0 when no response arrived. */
    readonly status: number,
    /** Further fields of the server's JSON error (and, for a transaction, `txn`: its id, from `X-Ballot-Txn`). */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 400 / 413: the request itself is wrong (bad key, bad header, body too large); retrying cannot help. */
export class BadRequest extends BallotError {
  override readonly name = "BadRequest";
}

/** 401: no token or a wrong one (403, `Forbidden`, is a subclass: a valid token asked for what it may not do). */
export class Unauthorized extends BallotError {
  override readonly name: string = "Unauthorized";
}

/** 403: a valid token outside its scope, e.g. a data token on the operator's routes. */
export class Forbidden extends Unauthorized {
  override readonly name = "Forbidden";
}

/** 404: the key does not exist (only thrown by `delete` without `ifVersion`; `get` answers `null`). */
export class NotFound extends BallotError {
  override readonly name = "NotFound";
}

/** 409: the change does not apply to the current value (`not_integer`, `overflow` of an increment). Nothing changed. */
export class Conflict extends BallotError {
  override readonly name: string = "Conflict";
}

/** 412: the key is not at the expected version (or exists / does not exist). Nothing changed. */
export class PreconditionFailed extends BallotError {
  override readonly name = "PreconditionFailed";
  /** The version the key is at; `null` when it does not exist. */
  get currentVersion(): number | null {
    const v = this.details.currentVersion;
    return typeof v === "number" ? v : null;
  }
}

/**
 * 503, 429 (`rate_limited`), or a read that got no answer: definitely not applied. Safe to retry any operation after `retryAfter`
 * seconds.
 */
export class Unavailable extends BallotError {
  override readonly name = "Unavailable";
  constructor(
    message: string,
    code: string,
    status: number,
    details: Readonly<Record<string, unknown>> = {},
    /** Seconds to wait before retrying (from `Retry-After`; 1 when the server gave none). */
    readonly retryAfter = 1,
    options?: { cause?: unknown },
  ) {
    super(message, code, status, details, options);
  }
}

/**
 * 504, or a change whose request got no answer (network error): the change may or may not have been applied, and
 * may still be applied later. Read the key before retrying a change that is not idempotent (a plain `put`,
 * `increment`); a compare-and-set (`ifVersion`/`ifAbsent`) can be retried as is: it fails with
 * `PreconditionFailed` if the first attempt won.
 */
export class OutcomeUnknown extends BallotError {
  override readonly name = "OutcomeUnknown";
}

interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** Turns a non-2xx response into its typed error; `extra` joins the body's details (a transaction's `txn` id). */
export async function errorFromResponse(response: Response, extra: Readonly<Record<string, unknown>> = {}): Promise<BallotError> {
  const body = await readErrorBody(response);
  const { code, message } = body;
  const details = { ...body.details, ...extra };
  switch (response.status) {
    case 400:
    case 413:
      return new BadRequest(message, code, response.status, details);
    case 403:
      return new Forbidden(message, code, response.status, details);
    case 401:
      return new Unauthorized(message, code, response.status, details);
    case 404:
      return new NotFound(message, code, response.status, details);
    case 409:
      return new Conflict(message, code, response.status, details);
    case 412:
      return new PreconditionFailed(message, code, response.status, details);
    case 429: // rate limited: not applied, retry after Retry-After
    case 503:
      return new Unavailable(message, code, response.status, details, retryAfterSeconds(response.headers.get("retry-after")));
    case 504:
      return new OutcomeUnknown(message, code, response.status, details);
    default:
      return new BallotError(message, code, response.status, details);
  }
}

async function readErrorBody(response: Response): Promise<ErrorBody> {
  const fallback: ErrorBody = { code: `http_${response.status}`, message: `HTTP ${response.status}`, details: {} };
  let text: string;
  try {
    text = await response.text();
  } catch {
    return fallback;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const error = typeof parsed === "object" && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    if (typeof error !== "object" || error === null) return fallback;
    const { code, message, ...details } = error as Record<string, unknown>;
    return {
      code: typeof code === "string" ? code : fallback.code,
      message: typeof message === "string" ? message : fallback.message,
      details,
    };
  } catch {
    return text === "" ? fallback : { ...fallback, message: `HTTP ${response.status}: ${text.slice(0, 200)}` };
  }
}

function retryAfterSeconds(header: string | null): number {
  if (header === null) return 1;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
