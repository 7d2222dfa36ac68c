import { BadRequest, BallotError, Conflict, NotFound, OutcomeUnknown, PreconditionFailed, Unauthorized, Unavailable } from "../client/index.js";

/**
 * The CLI's exit codes, one per thing a script does next: retry (7), read before retrying (8), give up (the rest).
 * Stable: scripts depend on them.
 */
export const EXIT = {
  ok: 0,
  /** Anything else: an unexpected answer, a bug. */
  error: 1,
  /** Wrong command line, or the server refused the request as malformed (400, 413). */
  usage: 2,
  /** 404: the key (or lock holder) does not exist. */
  notFound: 3,
  /** 412: the key is not at the expected version (compare-and-set lost). Nothing changed. `txn`: a comparison failed, the failure ops ran. */
  preconditionFailed: 4,
  /** 409: the change does not apply (the lock is held by another owner, the value is not an integer). Nothing changed. */
  conflict: 5,
  /** 401/403: no token, or a wrong one. */
  unauthorized: 6,
  /** 503, or no answer to a read: definitely not applied; safe to retry after Retry-After. */
  unavailable: 7,
  /** 504, or no answer to a change: it may or may not have been applied. Read before retrying. */
  outcomeUnknown: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by the command-line parsing: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The exit code for an error thrown by the client or by the CLI itself. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof BadRequest) return EXIT.usage;
  if (error instanceof NotFound) return EXIT.notFound;
  if (error instanceof PreconditionFailed) return EXIT.preconditionFailed;
  if (error instanceof Conflict) return EXIT.conflict;
  if (error instanceof Unauthorized) return EXIT.unauthorized;
  if (error instanceof Unavailable) return EXIT.unavailable;
  if (error instanceof OutcomeUnknown) return EXIT.outcomeUnknown;
  return EXIT.error;
}

/** One line for stderr, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Unavailable) return `unavailable (safe to retry after ${error.retryAfter} s): ${error.message}`;
  if (error instanceof OutcomeUnknown) return `outcome unknown (the change may or may not have been applied; read before retrying): ${error.message}`;
  if (error instanceof PreconditionFailed) return `precondition failed: ${error.message}`;
  if (error instanceof BallotError) return `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ""})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
