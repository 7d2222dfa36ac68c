import { UsageError } from "../exit-codes.js";
import type { Context } from "../command.js";

/**
 * The value to write: the VALUE argument, the file named by --file, or standard input (VALUE absent or "-").
 * A terminal on stdin with no value is a mistake, not a wait for typed input.
 */
export async function valueOf(context: Context, argument: string | undefined): Promise<Uint8Array | string> {
  const file = context.values.file;
  if (typeof file === "string") {
    if (argument !== undefined) throw new UsageError("give the value either as an argument or with --file, not both");
    try {
      return await context.io.readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (argument !== undefined && argument !== "-") return argument;
  if (context.io.stdinIsTTY) throw new UsageError("no value: give VALUE, --file PATH, or pipe it on standard input");
  return context.io.readStdin();
}

export const valueOptions = {
  file: { type: "string", short: "f" },
  "content-type": { type: "string", short: "t" },
} as const;

export const valueHelp = `The value comes from VALUE, from --file PATH, or from standard input when VALUE is absent or "-".
  -f, --file PATH          read the value from a file (bytes as they are)
  -t, --content-type TYPE  stored with the value (default text/plain; charset=utf-8 for an argument,
                           application/octet-stream for a file or standard input)`;
