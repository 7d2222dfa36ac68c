import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";

/** Runs the CLI in-process with a terminal for stdin, no files, and the given env and fetch; captures its output. */
export async function runCli(args: readonly string[], env: CliIO["env"], fetch: NonNullable<CliIO["fetch"]>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (chunk) => void out.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)),
    stderr: (line) => void err.push(line),
    readStdin: async () => new Uint8Array(),
    stdinIsTTY: true,
    env,
    readFile: async () => new Uint8Array(),
    interrupted: () => new Promise(() => {}),
    fetch,
  };
  const code = await main(args, io);
  return { code, stdout: out.join(""), stderr: err.join("\n") };
}
