import type { Command } from "../command.js";
import { parseInteger } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { entryJSON, jsonLine } from "../output.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const watch: Command = {
  name: "watch",
  summary: "print a key's states as they change, one line per event",
  help: `ballot watch KEY [--since V] [--count N] [--json]

Prints the key's current state, then each new one, until interrupted: "VERSION put VALUE" (the value as text,
or "(N bytes)" when it is not UTF-8) or "VERSION delete". Versions strictly increase; versions in between may be
skipped. A broken connection is reopened from the last version printed, so no line repeats.
      --since V            only states above version V (resume)
      --count N            stop after N events
      --json               one {"event","key","version","contentType","value"|"valueBase64"} object per line`,
  options: { since: { type: "string" }, count: { type: "string" } },
  async run(context) {
    if (context.args.length !== 1) throw new UsageError("usage: ballot watch KEY");
    const key = context.args[0] as string;
    const since = typeof context.values.since === "string" ? parseInteger("--since", context.values.since) : 0;
    if (since < 0) throw new UsageError("--since must be a version (0 or more)");
    const count = typeof context.values.count === "string" ? parseInteger("--count", context.values.count) : Infinity;
    if (count < 1) throw new UsageError("--count must be at least 1");
    let seen = 0;
    for await (const event of context.client.watch(key, { since })) {
      if (context.json) {
        const line = event.kind === "put" ? entryJSON(event.key, { value: event.value, version: event.version, contentType: event.contentType }) : { key: event.key, version: event.version };
        context.io.stdout(jsonLine({ event: event.kind, ...line }));
      } else if (event.kind === "put") {
        context.io.stdout(`${event.version} put ${text(event.value)}\n`);
      } else {
        context.io.stdout(`${event.version} delete\n`);
      }
      if (++seen >= count) break;
    }
    return EXIT.ok;
  },
};

function text(value: Uint8Array): string {
  try {
    return JSON.stringify(strictUtf8.decode(value)).slice(1, -1);
  } catch {
    return `(${value.byteLength} bytes)`;
  }
}
