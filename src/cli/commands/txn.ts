import type { Txn, TxnCondition, TxnOpResult, TxnOps } from "../../client/index.js";
import type { Command, Context } from "../command.js";
import { parseInteger, parseVersion } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { entryJSON, jsonLine, lineText } from "../output.js";

type AnyOps = TxnOps<TxnOpResult[]>;
type AnyTxn = Txn<TxnOpResult[], TxnOpResult[]>;

/** The server's content type for a put of the JSON body that names none (as a PUT without Content-Type). */
const BODY_DEFAULT_TYPE = "application/octet-stream";

export const txn: Command = {
  name: "txn",
  summary: "a multi-key transaction: compare, then one branch of ops, atomically (exit 4 if the comparisons fail)",
  help: `ballot txn [--if COND]... [--then OP]... [--else OP]... [--json]
ballot txn -f FILE | ballot txn [-] < FILE

Runs the OPs of --then if every COND holds, else those of --else, all at one point in time, and prints
"succeeded" or "failed", then one line per op of the branch taken: "KEY VERSION get VALUE" (the value as
text, "(N bytes)" when not UTF-8, "(absent)" for an absent key), "KEY VERSION put", "KEY VERSION delete",
"KEY VERSION increment VALUE". Exit 4 when a comparison failed (the --else ops ran). Quote each COND and OP:
      --if "KEY version=N"    the key is at version N (0: absent)
      --if "KEY exists"       the key exists ("KEY absent": it does not)
      --if "KEY value=TEXT"   the key holds exactly TEXT (the rest of the argument)
      --then OP, --else OP    "get KEY", "put KEY VALUE" (VALUE: the rest of the argument, as text),
                              "del KEY", "incr KEY [BY]" (BY default 1, may be negative)
  -f, --file FILE             the transaction as JSON, the body of POST /v1/txn: {"compare": [...],
                              "success": [ops], "failure": [ops]}; "-" or no flags: from standard input
      --json                  {"succeeded","txn","results":[{"op","key","version",...}]}
At most 64 distinct keys; a key at most once per branch. Without --if, the --then ops run: with only gets,
an atomic read of several keys. Not idempotent (increments): after exit 8, read the keys before running again.`,
  options: {
    if: { type: "string", multiple: true },
    then: { type: "string", multiple: true },
    else: { type: "string", multiple: true },
    file: { type: "string", short: "f" },
  },
  async run(context) {
    const t = await transaction(context);
    const result = await t.commit();
    if (context.json) {
      context.io.stdout(jsonLine({ succeeded: result.succeeded, ...(result.txnId === null ? {} : { txn: result.txnId }), results: result.results.map(resultJSON) }));
    } else {
      context.io.stdout(`${result.succeeded ? "succeeded" : "failed"}\n`);
      for (const r of result.results) context.io.stdout(`${resultLine(r)}\n`);
    }
    return result.succeeded ? EXIT.ok : EXIT.preconditionFailed;
  },
};

/** The transaction from the flags, or from the JSON of a file or standard input. */
async function transaction(context: Context): Promise<AnyTxn> {
  const list = (name: string): string[] => {
    const v = context.values[name];
    return Array.isArray(v) ? v : [];
  };
  const [conditions, thens, elses] = [list("if"), list("then"), list("else")];
  const flags = conditions.length + thens.length + elses.length > 0;
  const file = context.values.file;
  if (flags) {
    if (typeof file === "string" || context.args.length > 0) throw new UsageError("give the transaction either by --if/--then/--else or as JSON (--file, standard input), not both");
    let t = context.client.txn() as unknown as AnyTxn;
    for (const c of conditions) t = t.compare(...parseCondition(c));
    if (thens.length > 0) t = t.onSuccess((ops) => thens.reduce(parseOp, ops as AnyOps));
    if (elses.length > 0) t = t.onFailure((ops) => elses.reduce(parseOp, ops as AnyOps));
    return t;
  }
  if (context.args.length > 1 || (context.args.length === 1 && context.args[0] !== "-")) throw new UsageError('usage: ballot txn [--if COND] [--then OP] [--else OP], or ballot txn -f FILE, or ballot txn -');
  let bytes: Uint8Array;
  if (typeof file === "string" && file !== "-") {
    if (context.args.length > 0) throw new UsageError("give the transaction either with --file or on standard input, not both");
    try {
      bytes = await context.io.readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    if (context.io.stdinIsTTY) throw new UsageError("no transaction: give --if/--then/--else, --file FILE, or pipe its JSON on standard input");
    bytes = await context.io.readStdin();
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new UsageError(`the transaction is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return fromBody(context, body);
}

/** "KEY version=N", "KEY exists", "KEY absent", "KEY value=TEXT". */
function parseCondition(text: string): [string, TxnCondition] {
  const match = /^\s*(\S+)\s+(.*)$/s.exec(text);
  const usage = () => new UsageError(`--if takes "KEY version=N", "KEY exists", "KEY absent" or "KEY value=TEXT", got ${JSON.stringify(text)}`);
  if (match === null) throw usage();
  const [, key, rest] = match as unknown as [string, string, string];
  const condition = rest.trimEnd();
  if (condition === "exists") return [key, { exists: true }];
  if (condition === "absent") return [key, { exists: false }];
  if (condition.startsWith("version=")) return [key, { version: parseVersion(`the version in --if ${JSON.stringify(text)}`, condition.slice(8)) }];
  if (rest.startsWith("value=")) return [key, { value: rest.slice(6) }];
  throw usage();
}

/** "get KEY", "put KEY VALUE", "del KEY", "incr KEY [BY]", added to `ops`. */
function parseOp(ops: AnyOps, text: string): AnyOps {
  const match = /^\s*(\S+)\s+(\S+)(?:\s(.*))?$/s.exec(text);
  const usage = () => new UsageError(`an op is "get KEY", "put KEY VALUE", "del KEY" or "incr KEY [BY]", got ${JSON.stringify(text)}`);
  if (match === null) throw usage();
  const [, verb, key, rest] = match as unknown as [string, string, string, string | undefined];
  const none = rest === undefined || rest.trim() === "";
  switch (verb) {
    case "get":
      if (!none) throw usage();
      return ops.get(key);
    case "del":
    case "delete":
      if (!none) throw usage();
      return ops.delete(key);
    case "incr":
    case "increment":
      return ops.increment(key, none ? 1 : parseInteger(`BY in ${JSON.stringify(text)}`, rest.trim()));
    case "put":
      if (rest === undefined) throw usage();
      return ops.put(key, rest);
    default:
      throw usage();
  }
}

/** The JSON body of POST /v1/txn as a transaction; a field the route does not know is a usage error, as it would be a 400. */
function fromBody(context: Context, body: unknown): AnyTxn {
  const object = (value: unknown, where: string, fields: readonly string[]): Record<string, unknown> => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${where} must be a JSON object`);
    const unknown = Object.keys(value).find((k) => !fields.includes(k));
    if (unknown !== undefined) throw new UsageError(`unknown field ${JSON.stringify(where === "the transaction" ? unknown : `${where}.${unknown}`)}`);
    return value as Record<string, unknown>;
  };
  const array = (value: unknown, where: string): unknown[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new UsageError(`${where} must be an array`);
    return value;
  };
  const string = (value: unknown, where: string): string => {
    if (typeof value !== "string") throw new UsageError(`${where} must be a string`);
    return value;
  };
  const base64 = (value: unknown, where: string): Uint8Array => {
    const text = string(value, where);
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw new UsageError(`${where} must be standard base64`);
    return new Uint8Array(Buffer.from(text, "base64"));
  };

  const top = object(body, "the transaction", ["compare", "success", "failure"]);
  let t = context.client.txn() as unknown as AnyTxn;
  array(top.compare, "compare").forEach((raw, i) => {
    const where = `compare.${i}`;
    const c = object(raw, where, ["key", "version", "exists", "value", "valueBase64"]);
    const key = string(c.key, `${where}.key`);
    const given = ["version", "exists", "value", "valueBase64"].filter((f) => c[f] !== undefined);
    if (given.length !== 1) throw new UsageError(`${where} takes exactly one of "version", "exists", "value" and "valueBase64"`);
    if (c.version !== undefined) {
      if (typeof c.version !== "number" || !Number.isSafeInteger(c.version) || c.version < 0) throw new UsageError(`${where}.version must be an integer from 0`);
      t = t.compare(key, { version: c.version });
    } else if (c.exists !== undefined) {
      if (typeof c.exists !== "boolean") throw new UsageError(`${where}.exists must be true or false`);
      t = t.compare(key, { exists: c.exists });
    } else {
      t = t.compare(key, { value: c.value !== undefined ? string(c.value, `${where}.value`) : base64(c.valueBase64, `${where}.valueBase64`) });
    }
  });
  const branch = (name: "success" | "failure") => (ops: AnyOps) =>
    array(top[name], name).reduce<AnyOps>((acc, raw, i) => {
      const where = `${name}.${i}`;
      const op = (raw as { op?: unknown } | null)?.op;
      switch (op) {
        case "get":
          return acc.get(string(object(raw, where, ["op", "key"]).key, `${where}.key`));
        case "delete":
          return acc.delete(string(object(raw, where, ["op", "key"]).key, `${where}.key`));
        case "increment": {
          const o = object(raw, where, ["op", "key", "by"]);
          if (o.by !== undefined && (typeof o.by !== "number" || !Number.isSafeInteger(o.by))) throw new UsageError(`${where}.by must be a safe integer`);
          return acc.increment(string(o.key, `${where}.key`), (o.by as number | undefined) ?? 1);
        }
        case "put": {
          const o = object(raw, where, ["op", "key", "value", "valueBase64", "contentType"]);
          if ((o.value === undefined) === (o.valueBase64 === undefined)) throw new UsageError(`${where} takes exactly one of "value" and "valueBase64"`);
          const value = o.value !== undefined ? string(o.value, `${where}.value`) : base64(o.valueBase64, `${where}.valueBase64`);
          const contentType = o.contentType === undefined ? BODY_DEFAULT_TYPE : string(o.contentType, `${where}.contentType`);
          return acc.put(string(o.key, `${where}.key`), value, { contentType });
        }
        default:
          throw new UsageError(`${where} must be an object with "op": "get", "put", "delete" or "increment"`);
      }
    }, ops);
  if (top.success !== undefined) t = t.onSuccess(branch("success"));
  if (top.failure !== undefined) t = t.onFailure(branch("failure"));
  return t;
}

function resultLine(r: TxnOpResult): string {
  switch (r.op) {
    case "get":
      return `${r.key} ${r.version} get ${r.value === null ? "(absent)" : lineText(r.value as Uint8Array)}`;
    case "increment":
      return `${r.key} ${r.version} increment ${r.value}`;
    default:
      return `${r.key} ${r.version} ${r.op}`;
  }
}

function resultJSON(r: TxnOpResult): Record<string, unknown> {
  if (r.op === "get") {
    if (r.value === null) return { op: "get", key: r.key, version: r.version, value: null };
    return { op: "get", ...entryJSON(r.key, { value: r.value as Uint8Array, version: r.version, contentType: r.contentType ?? BODY_DEFAULT_TYPE }) };
  }
  return { ...r };
}
