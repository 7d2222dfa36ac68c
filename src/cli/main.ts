import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createClient } from "../client/index.js";
import type { Command, Options, Values } from "./command.js";
import { health } from "./commands/health.js";
import { cas, del, get, incr, put } from "./commands/keys.js";
import { layout } from "./commands/layout.js";
import { ls } from "./commands/list.js";
import { watch } from "./commands/watch.js";
import { lock } from "./commands/lock.js";
import { token } from "./commands/token.js";
import { txn } from "./commands/txn.js";
import { parseDuration } from "./durations.js";
import { EXIT, UsageError, describeError, exitCodeOf } from "./exit-codes.js";
import type { CliIO } from "./io.js";

const COMMANDS: readonly Command[] = [get, put, cas, incr, del, txn, ls, watch, lock, health, layout, token];

const GLOBAL: Options = {
  url: { type: "string" },
  token: { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};
/** Global flags that take a value: their value is not the command's name. */
const GLOBAL_WITH_VALUE = new Set(["--url", "--token", "--timeout"]);

const DEFAULT_URL = "http://127.0.0.1:8787";

const GLOBAL_HELP = `Global flags (before or after the command):
      --url URL           the Ballot server (default: $BALLOT_URL, else ${DEFAULT_URL})
      --token TOKEN       bearer token (default: $BALLOT_TOKEN); prefer the variable: flags show in ps
      --timeout DURATION  give up on a request after this long (default 10s)
      --json              machine-readable output, one JSON object per line
  -h, --help              help for ballot or for one command`;

const EXIT_HELP = `Exit codes:
  0  done                         5  conflict: lock held by another owner, value not an integer
  1  unexpected error             6  unauthorized (missing or wrong token)
  2  usage error, or bad request  7  unavailable (503): not applied; safe to retry after Retry-After
  3  not found                    8  outcome unknown (504): may or may not have been applied; read first
  4  precondition failed (412): the key is not at the expected version; nothing changed
     (txn: a comparison failed; the --else ops ran)`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `ballot: the command line of Ballot, linearizable registers over HTTP

Usage: ballot COMMAND [ARGS] [FLAGS]

Commands:
${lines.join("\n")}

${GLOBAL_HELP}

${EXIT_HELP}

Examples:
  ballot put greeting hello            ballot get greeting
  ballot cas greeting 1 bye            echo -n '{"a":1}' | ballot put config -t application/json
  ballot incr visits --by 5            ballot lock nightly-job -- ./run-report.sh
  ballot ls config/ --long
  ballot txn --if "acct/a version=3" --then "incr acct/a -5" --then "incr acct/b 5"

"ballot COMMAND --help" tells more about each command.
`;
}

function version(): string {
  // src/cli and dist/cli both sit two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Index of the command's name in argv: the first word that is neither a flag nor a global flag's value. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") return -1;
    if (GLOBAL_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith("-")) return i;
  }
  return -1;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const code = exitCodeOf(error);
    io.stderr(`ballot: ${describeError(error)}`);
    if (error instanceof UsageError) io.stderr(`Run "ballot --help" for usage.`);
    return code;
  }
}

async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const separator = argv.indexOf("--");
  const words = separator < 0 ? argv : argv.slice(0, separator);
  const rest = separator < 0 ? [] : argv.slice(separator + 1);
  const at = commandIndex(words);
  const command = at < 0 ? undefined : COMMANDS.find((c) => c.name === words[at]);
  if (at >= 0 && command === undefined) throw new UsageError(`unknown command ${JSON.stringify(words[at])}`);

  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: at < 0 ? [...words] : [...words.slice(0, at), ...words.slice(at + 1)],
      options: { ...GLOBAL, ...(command?.options ?? {}) },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n")[0] ?? "bad arguments" : String(error));
  }

  if (values.version === true) {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  if (command === undefined) {
    if (values.help === true || words.length === 0) {
      io.stdout(mainHelp());
      return words.length === 0 && rest.length === 0 && values.help !== true ? EXIT.usage : EXIT.ok;
    }
    throw new UsageError("no command given");
  }
  if (values.help === true) {
    io.stdout(`${command.help}\n\n${GLOBAL_HELP}\n\n${EXIT_HELP}\n`);
    return EXIT.ok;
  }
  if (rest.length > 0 && command.takesCommand !== true) throw new UsageError(`"ballot ${command.name}" takes no command after --`);

  const baseUrl = typeof values.url === "string" ? values.url : (io.env.BALLOT_URL ?? DEFAULT_URL);
  const token = typeof values.token === "string" ? values.token : io.env.BALLOT_TOKEN;
  const timeoutMs = typeof values.timeout === "string" ? parseDuration("--timeout", values.timeout) : 10_000;
  let client;
  try {
    client = createClient({ baseUrl, timeoutMs, ...(token ? { token } : {}), ...(io.fetch ? { fetch: io.fetch } : {}) });
  } catch (error) {
    throw new UsageError(`bad server URL ${JSON.stringify(baseUrl)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return command.run({ args: positionals, values, rest, json: values.json === true, client, io });
}
