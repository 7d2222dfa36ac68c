import type { PrefixWatchEvent } from "../../client/watch-prefix.js";
import type { Command } from "../command.js";
import { parseInteger } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { entryJSON, jsonLine, lineText } from "../output.js";

export const watch: Command = {
  name: "watch",
  summary: "print a key's states (or every key's under --prefix) as they change, one line per event",
  help: `ballot watch KEY [--since V] [--count N] [--json]
ballot watch --prefix P [--since ID] [--count N] [--json]

Prints the key's current state, then each new one, until interrupted: "VERSION put VALUE" (the value as text,
or "(N bytes)" when it is not UTF-8) or "VERSION delete". Versions strictly increase; versions in between may be
skipped. A broken connection is reopened from the last version printed, so no line repeats.
With --prefix, every key under P: "KEY VERSION put VALUE" or "KEY VERSION delete", first every live key, then
"# synced: N keys" on stderr, then the changes; with --json, the event ids (for --since) are printed too.
      --prefix P           watch every key starting with P ("" for every key)
      --since V | ID       only states above version V (a key), or after the event ID (a prefix: its "id")
      --count N            stop after N key events
      --json               one {"event","key","version","contentType","value"|"valueBase64"} object per line`,
  options: { since: { type: "string" }, count: { type: "string" }, prefix: { type: "string" } },
  async run(context) {
    const prefix = typeof context.values.prefix === "string" ? context.values.prefix : undefined;
    if (prefix === undefined ? context.args.length !== 1 : context.args.length !== 0) throw new UsageError("usage: ballot watch KEY, or ballot watch --prefix P");
    const count = typeof context.values.count === "string" ? parseInteger("--count", context.values.count) : Infinity;
    if (count < 1) throw new UsageError("--count must be at least 1");
    const sinceText = typeof context.values.since === "string" ? context.values.since : undefined;
    let seen = 0;
    if (prefix !== undefined) {
      let id: string | undefined;
      for await (const event of context.client.watchPrefix(prefix, { ...(sinceText === undefined ? {} : { since: sinceText }), onId: (i) => (id = i) })) {
        if (event.kind === "synced" || event.kind === "reset") {
          if (context.json) context.io.stdout(jsonLine({ event: event.kind, ...(event.kind === "synced" ? { keys: event.keys } : {}), ...(id === undefined ? {} : { id }) }));
          else context.io.stderr(event.kind === "synced" ? `# synced: ${event.keys} keys` : "# reset: every key under the prefix follows again");
          continue;
        }
        print(context, event, { id });
        if (++seen >= count) break;
      }
      return EXIT.ok;
    }
    const since = sinceText === undefined ? 0 : parseInteger("--since", sinceText);
    if (since < 0) throw new UsageError("--since must be a version (0 or more)");
    for await (const event of context.client.watch(context.args[0] as string, { since })) {
      print(context, event, null);
      if (++seen >= count) break;
    }
    return EXIT.ok;
  },
};

/** One key event; `prefix` when it comes from a prefix stream (the key leads the line, and JSON has the stream's id). */
function print(context: Parameters<Command["run"]>[0], event: Exclude<PrefixWatchEvent, { kind: "synced" | "reset" }>, prefix: { id: string | undefined } | null): void {
  const keyed = prefix !== null;
  const id = prefix?.id;
  if (context.json) {
    const line = event.kind === "put" ? entryJSON(event.key, { value: event.value, version: event.version, contentType: event.contentType }) : { key: event.key, version: event.version };
    context.io.stdout(jsonLine({ event: event.kind, ...line, ...(id === undefined ? {} : { id }) }));
    return;
  }
  const head = keyed ? `${event.key} ${event.version}` : `${event.version}`;
  context.io.stdout(event.kind === "put" ? `${head} put ${lineText(event.value)}\n` : `${head} delete\n`);
}
