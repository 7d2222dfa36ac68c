import type { Layout, LayoutChangeRequest, LayoutChangeStatus } from "../../client/index.js";
import type { Command, Context, Values } from "../command.js";
import { parseDuration, parseVersion } from "../durations.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { jsonLine } from "../output.js";

const SYNOPSIS = `ballot layout [show]
  ballot layout split GROUPS [--wait]
  ballot layout grow N [--hints H1,H2,...] [--wait]
  ballot layout replace GROUP INDEX [--hint H] [--wait]
  ballot layout wait [CHANGE]`;

export const layout: Command = {
  name: "layout",
  summary: "show the cluster's layout, or change it online (split, grow, replace; admin token)",
  help: `${SYNOPSIS}

show     the epoch, every group of acceptor objects (name and location hint) and the latest change.
split    spread the key space evenly over GROUPS groups (new groups get new acceptor objects).
grow     every group to N acceptors (3, 5 or 7; also to fewer), with --hints one location hint per
         acceptor (wnam, enam, sam, weur, eeur, apac, oc, afr, me, or "none").
replace  a fresh acceptor object takes the place of acceptor INDEX of group GROUP, with --hint its
         location hint (default: the old one's).
wait     follow the running change (or CHANGE) until it is done; exit 1 if it failed.
A change runs in the background on the server; every key stays readable and writable meanwhile.
Only one change runs at a time (exit 5 while another runs). With --wait, progress goes to stderr
and the command ends when the change does.
      --wait               follow the change until it is done (exit 1 if it failed)
      --poll DURATION      how often --wait asks (default 1s)
Needs a token from BALLOT_ADMIN_TOKENS when the server has any (exit 6 with a data token).`,
  options: { wait: { type: "boolean" }, hints: { type: "string" }, hint: { type: "string" }, poll: { type: "string" } },
  async run(context) {
    const [action = "show", ...args] = context.args;
    switch (action) {
      case "show":
        expectArgs(args, 0, "ballot layout show");
        return show(context, await context.client.layout());
      case "split":
        expectArgs(args, 1, "ballot layout split GROUPS");
        return start(context, { groups: parseVersion("GROUPS", args[0] as string) });
      case "grow":
        expectArgs(args, 1, "ballot layout grow N [--hints H1,H2,...]");
        return start(context, growRequest(parseVersion("N", args[0] as string), context.values.hints));
      case "replace": {
        expectArgs(args, 2, "ballot layout replace GROUP INDEX [--hint H]");
        const hint = context.values.hint;
        const replace = { group: parseVersion("GROUP", args[0] as string), index: parseVersion("INDEX", args[1] as string) };
        return start(context, { replace: typeof hint === "string" ? { ...replace, locationHint: hint } : replace });
      }
      case "wait": {
        if (args.length > 1) throw new UsageError("usage: ballot layout wait [CHANGE]");
        const id = args.length === 1 ? parseVersion("CHANGE", args[0] as string) : (await context.client.layout()).change?.id;
        if (id === undefined) throw new UsageError("no layout change has been made yet");
        return follow(context, id);
      }
      default:
        throw new UsageError(`unknown layout action ${JSON.stringify(action)}; usage:\n  ${SYNOPSIS}`);
    }
  },
};

function expectArgs(args: readonly string[], count: number, synopsis: string): void {
  if (args.length !== count) throw new UsageError(`usage: ${synopsis}`);
}

function growRequest(acceptors: number, hints: Values[string]): LayoutChangeRequest {
  if (typeof hints !== "string") return { acceptors };
  // The server checks each hint and the count; "none" is how a command line says null.
  const locationHints = hints.split(",").map((h) => (h.trim() === "none" ? null : h.trim()));
  return { acceptors, locationHints };
}

async function start(context: Context, request: LayoutChangeRequest): Promise<number> {
  const started = await context.client.changeLayout(request);
  if (context.json) context.io.stdout(jsonLine(started));
  else context.io.stdout(`change ${started.change} started (epoch ${started.epoch})\n`);
  return context.values.wait === true ? follow(context, started.change) : EXIT.ok;
}

async function follow(context: Context, id: number): Promise<number> {
  const poll = context.values.poll;
  const pollMs = typeof poll === "string" ? parseDuration("--poll", poll) : 1000;
  let last = "";
  const final = await context.client.waitForLayoutChange(id, {
    pollMs,
    onProgress: (change) => {
      const line = describeChange(change);
      if (line !== last && change.state === "running") context.io.stderr(line);
      last = line;
    },
  });
  if (context.json) context.io.stdout(jsonLine(final));
  else context.io.stdout(`${describeChange(final)}\n`);
  return EXIT.ok;
}

function show(context: Context, current: Layout): number {
  if (context.json) {
    context.io.stdout(jsonLine(current));
    return EXIT.ok;
  }
  const lines = [`epoch ${current.epoch}, ${current.vshards} vshards, ${current.groups.length} group(s)`];
  for (const group of current.groups) {
    const members = group.acceptors.map((a) => (a.locationHint === null ? a.name : `${a.name} (${a.locationHint})`));
    lines.push(`  group ${group.id}: ${members.join(", ")}`);
  }
  lines.push(current.change === null ? "no change yet" : describeChange(current.change));
  context.io.stdout(lines.join("\n") + "\n");
  return EXIT.ok;
}

export function describeChange(change: LayoutChangeStatus): string {
  const progress = `${change.vshardsDone}/${change.vshardsTotal} vshards, ${change.keysCopied} keys copied`;
  const head = `change ${change.id} (${change.kind}): ${change.state}`;
  if (change.state === "running") return `${head}, step ${change.step}, ${progress}`;
  if (change.state === "failed") return `${head} in step ${change.step}: ${change.error ?? "no reason given"}`;
  return `${head}, ${progress}`;
}
