import type { Command } from "../command.js";
import { parseInteger } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { entryJSON, jsonLine } from "../output.js";

export const ls: Command = {
  name: "ls",
  summary: "list keys by prefix, in key order (deleted keys are not listed)",
  help: `ballot ls [PREFIX] [--long] [--limit N] [--values] [--json]

Prints every key starting with PREFIX (default: every key the token may read), one per line, in key order
(UTF-8 bytes), fetching 1,000 at a time. Each is a state its key had during the listing; the whole is not a
snapshot across keys.
  -l, --long               version, size in bytes, content type and key, tab-separated
      --limit N            stop after N keys
      --values             with --json, include each value ("value", or "valueBase64" for one that is not UTF-8)
      --json               one {"key","version","contentType","bytes"} object per line`,
  options: { long: { type: "boolean", short: "l" }, limit: { type: "string" }, values: { type: "boolean" } },
  async run(context) {
    if (context.args.length > 1) throw new UsageError("usage: ballot ls [PREFIX]");
    const prefix = context.args[0] ?? "";
    const rawLimit = context.values.limit;
    const limit = typeof rawLimit === "string" ? parseInteger("--limit", rawLimit) : Infinity;
    if (limit < 1) throw new UsageError("--limit must be at least 1");
    const values = context.values.values === true;
    if (values && !context.json) throw new UsageError("--values needs --json");
    let count = 0;
    for await (const entry of context.client.list({ prefix, limit: Math.min(1000, limit), values })) {
      if (context.json) {
        const line = entry.value === undefined ? { key: entry.key, version: entry.version, contentType: entry.contentType, bytes: entry.bytes } : { ...entryJSON(entry.key, { value: entry.value, version: entry.version, contentType: entry.contentType }), bytes: entry.bytes };
        context.io.stdout(jsonLine(line));
      } else if (context.values.long === true) {
        context.io.stdout(`${entry.version}\t${entry.bytes}\t${entry.contentType}\t${entry.key}\n`);
      } else {
        context.io.stdout(`${entry.key}\n`);
      }
      if (++count >= limit) break;
    }
    return EXIT.ok;
  },
};
