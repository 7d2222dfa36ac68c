import { z } from "@hono/zod-openapi";
import { MAX_TXN_KEYS } from "../core/txn/request.js";
import { MAX_KEY_BYTES } from "./key-path.js";

/**
 * The body and answer of `POST /v1/txn` (txn.ts). Every object is strict: an unknown field is 400 (as the listing's
 * query), because a misspelt one would silently change the transaction (`"compares"` would make it unconditional, a
 * misspelt `"by"` would add 1).
 */

const TEXT = "must be a string of valid Unicode text";
const SAFE_BY = { error: "must be a safe integer" };
const VERSION = { error: "must be an integer from 0" };
const CONTENT_TYPE = { error: "must be 1 to 256 printable ASCII characters (a header value)" };

const key = z.string({ error: "must be a string" }).openapi({
  description: `A key, with the rules of a path key: 1 to ${MAX_KEY_BYTES} bytes of UTF-8, no control characters, not \`.\` or \`..\` (400 \`invalid_key\`).`,
});
const text = z.string({ error: TEXT });
const base64 = z
  .string({ error: "must be a string of base64" })
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { error: "must be standard base64 (A-Z a-z 0-9 + /, padded with =)" });

export const TxnCompare = z
  .object({
    key,
    version: z.number(VERSION).int(VERSION).min(0, VERSION).max(Number.MAX_SAFE_INTEGER, VERSION).optional().openapi({ description: "Holds when the key is live at exactly this version; 0 when it is absent or deleted." }),
    exists: z.boolean({ error: "must be true or false" }).optional().openapi({ description: "Holds when the key is live (true) or absent or deleted (false)." }),
    value: text.optional().openapi({ description: "Holds when the key is live holding exactly these bytes (the string's UTF-8)." }),
    valueBase64: base64.optional().openapi({ description: "As `value`, for any bytes." }),
  })
  .strict()
  .refine((c) => [c.version, c.exists, c.value, c.valueBase64].filter((x) => x !== undefined).length === 1, {
    error: 'a comparison takes exactly one of "version", "exists", "value" and "valueBase64"',
  })
  .openapi("TxnCompare", { description: "One comparison: `key` and exactly one of `version`, `exists`, `value`, `valueBase64`." });

const GetOp = z.object({ op: z.literal("get"), key }).strict().openapi("TxnGet", { description: "Read the key (its state at the commit point)." });
const PutOp = z
  .object({
    op: z.literal("put"),
    key,
    value: text.optional().openapi({ description: "The value as text, stored as its UTF-8 bytes." }),
    valueBase64: base64.optional().openapi({ description: "The value as base64, for any bytes." }),
    contentType: z
      .string(CONTENT_TYPE)
      .regex(/^[\x20-\x7e]{1,256}$/, CONTENT_TYPE)
      .optional()
      .openapi({ description: "Stored and returned as a PUT's Content-Type (default application/octet-stream)." }),
  })
  .strict()
  .refine((o) => (o.value === undefined) !== (o.valueBase64 === undefined), { error: 'a put takes exactly one of "value" and "valueBase64"' })
  .openapi("TxnPut", { description: "Write the key: exactly one of `value` and `valueBase64`." });
const DeleteOp = z.object({ op: z.literal("delete"), key }).strict().openapi("TxnDelete", { description: "Delete the key (nothing happens to an absent one)." });
const IncrementOp = z
  .object({
    op: z.literal("increment"),
    key,
    by: z.number(SAFE_BY).int(SAFE_BY).min(Number.MIN_SAFE_INTEGER, SAFE_BY).max(Number.MAX_SAFE_INTEGER, SAFE_BY).optional().openapi({ description: "Default 1." }),
  })
  .strict()
  .openapi("TxnIncrement", { description: "Add to a decimal integer value (an absent key counts as 0), as POST /v1/keys/{key}/increment." });

const OPS = 'must be an object with "op": "get", "put", "delete" or "increment"';
export const TxnOp = z.discriminatedUnion("op", [GetOp, PutOp, DeleteOp, IncrementOp], { error: () => OPS });

const ops = (description: string) => z.array(TxnOp, { error: "must be an array of ops" }).optional().openapi({ description });

export const TxnBody = z
  .object({
    compare: z.array(TxnCompare, { error: "must be an array of comparisons" }).optional().openapi({ description: "Every one must hold for `success` to run (default: none, so `success` runs)." }),
    success: ops("The ops run when every comparison holds (default: none)."),
    failure: ops("The ops run otherwise (default: none)."),
  })
  .strict()
  .openapi({
    description: `At most ${MAX_TXN_KEYS} distinct keys in all; a key at most once among the ops of one branch.`,
    example: {
      compare: [{ key: "orders/next-id", exists: false }],
      success: [
        { op: "put", key: "orders/next-id", value: "2", contentType: "text/plain" },
        { op: "put", key: "orders/1", value: '{"item":"book"}', contentType: "application/json" },
        { op: "increment", key: "orders/count" },
      ],
      failure: [{ op: "get", key: "orders/next-id" }],
    },
  });

export type TxnBodyInput = z.infer<typeof TxnBody>;

const TxnResultEntry = z
  .object({
    key: z.string(),
    version: z.number().int().openapi({ description: "The key's version after the op; for an absent key 0, for a deleted one its delete's version (as a blocking GET's 404 says)." }),
    contentType: z.string().optional().openapi({ description: "For a live key." }),
    value: z.string().nullable().optional().openapi({ description: "For a text content type holding UTF-8 (as listings); null when the key is absent or deleted." }),
    valueBase64: z.string().optional().openapi({ description: "For any other value." }),
  })
  .openapi("TxnResult");

export const TxnAnswer = z
  .object({
    succeeded: z.boolean().openapi({ description: "Whether every comparison held (the success ops ran) or not (the failure ops ran)." }),
    results: z.array(TxnResultEntry).openapi({ description: "One per op of the branch taken, in order." }),
  })
  .openapi("TxnAnswer");
