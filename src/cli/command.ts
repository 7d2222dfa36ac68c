import type { ParseArgsConfig } from "node:util";
import type { BallotClient } from "../client/index.js";
import type { ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** What a command gets: its arguments, the client built from the global flags, and the IO. */
export interface Context {
  readonly args: readonly string[];
  readonly values: Values;
  /** The words after `--` (the command `ballot lock` runs). */
  readonly rest: readonly string[];
  readonly json: boolean;
  readonly client: BallotClient;
  readonly io: CliIO;
}

export interface Command {
  readonly name: string;
  /** One line for `ballot --help`. */
  readonly summary: string;
  /** The synopsis and the details for `ballot NAME --help`. */
  readonly help: string;
  readonly options: Options;
  /** Whether words after `--` are allowed. */
  readonly takesCommand?: boolean;
  run(context: Context): Promise<ExitCode | number>;
}
