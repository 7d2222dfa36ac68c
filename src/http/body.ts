import { ApiError } from "./errors.js";

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is refused before reading;
 * an undeclared (chunked) body is read only until it passes the limit. A body that disagrees with its declared
 * length is refused.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declaredHeader = request.headers.get("content-length");
  let declared: number | undefined;
  if (declaredHeader !== null) {
    if (!/^[0-9]{1,15}$/.test(declaredHeader)) throw new ApiError(400, "invalid_header", "Content-Length is malformed");
    declared = Number(declaredHeader);
    if (declared > limit) throw tooLarge(limit);
  }
  if (request.body === null) {
    if (declared !== undefined && declared > 0) throw lengthMismatch();
    return new Uint8Array(0);
  }
  if (declared !== undefined && request.headers.get("transfer-encoding") === null) {
    // Its size is known and within the limit (and framed by that length, not chunked, so the length is the body's):
    // one read of the whole body, far cheaper than a stream of chunks.
    let body: ArrayBuffer;
    try {
      body = await request.arrayBuffer();
    } catch {
      throw lengthMismatch();
    }
    if (body.byteLength !== declared) throw lengthMismatch();
    return new Uint8Array(body);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw tooLarge(limit);
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) {
      void reader.cancel().catch(() => {});
      throw error;
    }
    throw lengthMismatch();
  }
  if (declared !== undefined && total !== declared) throw lengthMismatch();
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, "payload_too_large", `the body exceeds the limit of ${limit} bytes`, { limit });
}

function lengthMismatch(): ApiError {
  return new ApiError(400, "invalid_body", "the body does not match its Content-Length");
}
