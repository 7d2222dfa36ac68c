import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { runCli } from "../support/cli-run.js";
import { identify } from "../../src/http/access/identify.js";
import { grantsFrom } from "../../src/http/access/policy.js";

const cli = (args: string[]) =>
  runCli(args, {}, async () => {
    throw new Error("ballot token must not call a server");
  });

describe("ballot token new", () => {
  it("prints a fresh token and a BALLOT_ACCESS entry the server accepts and maps back to that token", async () => {
    const made = await cli(["token", "new", "billing", "--read", "config/", "--write", "billing/,invoices/", "--json"]);
    expect(made.code).toBe(EXIT.ok);
    const { token, grant } = JSON.parse(made.stdout) as { token: string; grant: Record<string, unknown> };
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(grant).toMatchObject({ name: "billing", read: ["config/"], write: ["billing/", "invoices/"], admin: false });
    const grants = await grantsFrom({ BALLOT_ACCESS: JSON.stringify([grant]) });
    expect(await identify(token, grants)).toEqual({ name: "billing", read: ["config/"], write: ["billing/", "invoices/"], admin: false });
    // A second run makes another token.
    const again = JSON.parse((await cli(["token", "new", "billing", "--json"])).stdout) as { token: string };
    expect(again.token).not.toBe(token);
  });

  it('--read "" means every key; --admin makes an operator grant; text output names both parts', async () => {
    const reader = JSON.parse((await cli(["token", "new", "dashboard", "--read", "", "--json"])).stdout) as { grant: { read: string[] } };
    expect(reader.grant.read).toEqual([""]);
    const operator = await cli(["token", "new", "operator", "--admin"]);
    expect(operator.stdout).toMatch(/^token \(give it to the app; it is not stored anywhere\):\n  \S{43}\nBALLOT_ACCESS entry:\n  \{"name":"operator","sha256":"[0-9a-f]{64}","read":\[\],"write":\[\],"admin":true\}\n$/);
  });

  it("usage errors exit 2", async () => {
    for (const args of [["token"], ["token", "new"], ["token", "old", "x"], ["token", "new", "a", "b"]]) expect((await cli(args)).code).toBe(EXIT.usage);
  });
});
