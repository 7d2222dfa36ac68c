import type { Command } from "../command.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { jsonLine } from "../output.js";

export const health: Command = {
  name: "health",
  summary: "check that every shard has a reachable majority of acceptors (exit 7 if not)",
  help: `ballot health [--shard S] [--json]

Pings every acceptor of every shard (or of shard S) and prints a summary: "ok" when all answer,
"degraded" when some do not but every shard has a majority (everything still works), "unavailable"
(exit 7) when a shard has no majority. --json prints the server's whole report.`,
  options: { shard: { type: "string" } },
  async run(context) {
    if (context.args.length !== 0) throw new UsageError("usage: ballot health [--shard S]");
    const raw = context.values.shard;
    if (typeof raw === "string" && !/^\d{1,4}$/.test(raw)) throw new UsageError(`--shard must be a shard number, got ${JSON.stringify(raw)}`);
    const report = await context.client.health(typeof raw === "string" ? { shard: Number(raw) } : {});
    if (context.json) context.io.stdout(jsonLine(report));
    else {
      const down = report.shards.flatMap((s) => s.acceptors.filter((a) => !a.ok).map((a) => `shard ${s.shard} acceptor ${a.index}: ${a.error ?? "down"}`));
      const slowest = Math.max(0, ...report.shards.flatMap((s) => s.acceptors.filter((a) => a.ok).map((a) => a.latencyMs)));
      context.io.stdout(`${report.status}: ${report.shards.length} shard(s), ${report.acceptors} acceptors each (majority ${report.majority}), slowest ping ${slowest} ms\n`);
      for (const line of down) context.io.stdout(`  ${line}\n`);
    }
    return report.status === "unavailable" ? EXIT.unavailable : EXIT.ok;
  },
};
