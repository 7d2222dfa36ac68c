import { createHash, randomBytes } from "node:crypto";
import type { Command, Values } from "../command.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { jsonLine } from "../output.js";

export const token: Command = {
  name: "token",
  summary: "make a new bearer token and the grant entry for BALLOT_ACCESS (runs locally, calls no server)",
  help: `ballot token new NAME [--read P1,P2] [--write P1,P2] [--admin] [--json]

Prints a new random token (32 bytes, base64url) and the BALLOT_ACCESS entry that grants it: its SHA-256 and
the key prefixes it may read and write ("" for every key). Give the token to the app; put the entry into the
BALLOT_ACCESS secret (a JSON array). The secret then holds only the hash, never a usable token.
      --read P1,P2   key (and lock name) prefixes it may read
      --write P1,P2  prefixes it may write (writing includes reading them)
      --admin        it may use the operator's routes (the layout)
Example: ballot token new dashboard --read ""`,
  options: { read: { type: "string" }, write: { type: "string" }, admin: { type: "boolean" } },
  async run(context) {
    const [action, name, ...extra] = context.args;
    if (action !== "new" || name === undefined || extra.length > 0) throw new UsageError('usage: ballot token new NAME [--read P1,P2] [--write P1,P2] [--admin]');
    if (name.trim() === "" || name.length > 100) throw new UsageError("NAME must be 1 to 100 characters");
    const secret = randomBytes(32).toString("base64url");
    const entry = {
      name,
      sha256: createHash("sha256").update(secret).digest("hex"),
      read: prefixes(context.values.read),
      write: prefixes(context.values.write),
      admin: context.values.admin === true,
    };
    if (context.json) context.io.stdout(jsonLine({ token: secret, grant: entry }));
    else context.io.stdout(`token (give it to the app; it is not stored anywhere):\n  ${secret}\nBALLOT_ACCESS entry:\n  ${JSON.stringify(entry)}\n`);
    return EXIT.ok;
  },
};

/** "a/,b/" as a list; "" (an empty flag value) is the one prefix that covers every key. */
function prefixes(value: Values[string]): string[] {
  if (typeof value !== "string") return [];
  return value === "" ? [""] : value.split(",");
}
