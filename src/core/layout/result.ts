/**
 * Why a layout operation refused. The HTTP layer maps `change_in_progress` to 409 and the others to 400; a
 * `malformed_layout` read from storage is a bug or corruption, never to be repaired by guessing.
 */
export type LayoutErrorCode = "invalid_request" | "change_in_progress" | "invalid_step" | "malformed_layout";

export interface LayoutError {
  readonly code: LayoutErrorCode;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: LayoutError };

export const success = <T>(value: T): Result<T> => ({ ok: true, value });

export const failure = <T = never>(code: LayoutErrorCode, message: string): Result<T> => ({
  ok: false,
  error: { code, message },
});
