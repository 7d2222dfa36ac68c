import type { Command, Context } from "../command.js";
import { parseInteger, parseVersion } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { entryJSON, jsonLine } from "../output.js";
import { valueHelp, valueOf, valueOptions } from "./value-source.js";

function arity(context: Context, min: number, max: number, synopsis: string): void {
  if (context.args.length < min || context.args.length > max) throw new UsageError(`usage: ${synopsis}`);
}

async function write(context: Context, key: string, argument: string | undefined, condition: { ifVersion?: number; ifAbsent?: boolean }) {
  const value = await valueOf(context, argument);
  // Without --content-type the client's defaults apply: text for an argument, octets for a file or stdin.
  const contentType = context.values["content-type"];
  const result = await context.client.put(key, value, { ...condition, ...(typeof contentType === "string" ? { contentType } : {}) });
  context.io.stdout(context.json ? jsonLine({ key, version: result.version, created: result.created }) : `version ${result.version}${result.created ? " (created)" : ""}\n`);
  return EXIT.ok;
}

export const get: Command = {
  name: "get",
  summary: "print a key's value (exit 3 if it does not exist)",
  help: `ballot get KEY [--json]

Prints the value as stored, byte for byte. With --json: {"key","version","contentType","value"}
(or "valueBase64" for a value that is not UTF-8 text). The read is linearizable.`,
  options: {},
  async run(context) {
    arity(context, 1, 1, "ballot get KEY");
    const key = context.args[0] as string;
    const entry = await context.client.get(key);
    if (entry === null) {
      context.io.stderr(`ballot: ${JSON.stringify(key)} not found`);
      return EXIT.notFound;
    }
    context.io.stdout(context.json ? jsonLine(entryJSON(key, entry)) : entry.value);
    return EXIT.ok;
  },
};

export const put: Command = {
  name: "put",
  summary: "write a value (optionally only at a version, or only if absent)",
  help: `ballot put KEY [VALUE] [--if-version N | --if-absent] [--file PATH] [--content-type TYPE] [--json]

Writes the value and prints the new version. ${valueHelp}
      --if-version N       write only if the key is at version N (compare-and-set; exit 4 if not)
      --if-absent          write only if the key does not exist (exit 4 if it does)`,
  options: { ...valueOptions, "if-version": { type: "string" }, "if-absent": { type: "boolean" } },
  async run(context) {
    arity(context, 1, 2, "ballot put KEY [VALUE]");
    const ifVersion = context.values["if-version"];
    const ifAbsent = context.values["if-absent"] === true;
    if (typeof ifVersion === "string" && ifAbsent) throw new UsageError("--if-version and --if-absent exclude each other");
    const condition = typeof ifVersion === "string" ? { ifVersion: parseVersion("--if-version", ifVersion) } : ifAbsent ? { ifAbsent } : {};
    return write(context, context.args[0] as string, context.args[1], condition);
  },
};

export const cas: Command = {
  name: "cas",
  summary: "compare-and-set: write only if the key is at VERSION (0: only if absent)",
  help: `ballot cas KEY VERSION [VALUE] [--file PATH] [--content-type TYPE] [--json]

Writes the value only if the key is still at VERSION, and prints the new version; exit 4 when it is not
(stderr says which version it is at). VERSION 0 means "only if the key does not exist", as etcd's
compare on a zero revision. ${valueHelp}`,
  options: { ...valueOptions },
  async run(context) {
    arity(context, 2, 3, "ballot cas KEY VERSION [VALUE]");
    const version = parseVersion("VERSION", context.args[1] as string);
    return write(context, context.args[0] as string, context.args[2], version === 0 ? { ifAbsent: true } : { ifVersion: version });
  },
};

export const incr: Command = {
  name: "incr",
  summary: "add to a decimal integer value (absent counts as 0); prints the new value",
  help: `ballot incr KEY [--by N] [--json]

Adds N (default 1; a negative one as --by=-3) to the key's decimal integer value in one linearizable change and prints
the new value. An absent key counts as 0. Exit 5 when the value is not an integer. Not idempotent: after
exit 8 (outcome unknown), read the key before adding again.`,
  options: { by: { type: "string" } },
  async run(context) {
    arity(context, 1, 1, "ballot incr KEY [--by N]");
    const key = context.args[0] as string;
    const by = typeof context.values.by === "string" ? parseInteger("--by", context.values.by) : 1;
    const { value, version } = await context.client.increment(key, by);
    context.io.stdout(context.json ? jsonLine({ key, value, version }) : `${value}\n`);
    return EXIT.ok;
  },
};

export const del: Command = {
  name: "del",
  summary: "delete a key (exit 3 if it does not exist)",
  help: `ballot del KEY [--if-version N]

Deletes the key. Exit 3 when it does not exist; with --if-version, exit 4 unless it is at version N.`,
  options: { "if-version": { type: "string" } },
  async run(context) {
    arity(context, 1, 1, "ballot del KEY [--if-version N]");
    const key = context.args[0] as string;
    const ifVersion = context.values["if-version"];
    await context.client.delete(key, typeof ifVersion === "string" ? { ifVersion: parseVersion("--if-version", ifVersion) } : {});
    if (context.json) context.io.stdout(jsonLine({ key, deleted: true }));
    return EXIT.ok;
  },
};
