/**
 * The client as another project gets it: `npm pack` this repository, install the tarball into a new project offline,
 * and use it from compiled JavaScript with its type declarations, in Node 20, in a Worker (Miniflare) and in a
 * browser bundle (Chromium), each calling a real local server. The CLI is the package's `bin`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.js";
import { startLocalServer, type LocalServer } from "../support/local-server.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const NPM_ENV = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

let server: LocalServer;
let dir: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ballot-pack-"));
  project = join(dir, "app");
  await mkdir(project);
  const [started] = await Promise.all([
    startLocalServer({ persistTo: join(dir, "state") }),
    (async () => {
      // npm pack runs `prepare` (the build) first, so the tarball holds freshly compiled dist/.
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT, env: NPM_ENV, maxBuffer: 16 << 20 });
      packed = (JSON.parse(stdout.slice(stdout.indexOf("["))) as (typeof packed)[])[0] as typeof packed;
      await writeFile(join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
      await run("npm", ["install", "--offline", "--no-package-lock", join(dir, packed.filename)], { cwd: project, env: NPM_ENV });
    })(),
  ]);
  server = started;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds compiled JavaScript, declarations and the CLI, and none of the server", () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain("dist/client/index.js");
    expect(paths).toContain("dist/client/index.d.ts");
    expect(paths).toContain("dist/cli/bin.js");
    expect(paths).toContain("package.json");
    expect(paths.filter((p) => !p.startsWith("dist/client/") && !p.startsWith("dist/cli/") && p !== "package.json" && p !== "README.md")).toEqual([]);
    expect(paths.some((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toBe(false);
  });

  it("is imported by a Node 20 project and calls the server", async () => {
    await writeFile(
      join(project, "use.mjs"),
      `import { createClient, PreconditionFailed } from "ballot/client";
const client = createClient({ baseUrl: process.argv[2] });
const { version } = await client.put("pack/node", "from node");
let refused = false;
try { await client.put("pack/node", "stale", { ifVersion: version + 5 }); } catch (e) { refused = e instanceof PreconditionFailed; }
const entry = await client.getText("pack/node");
console.log(JSON.stringify({ value: entry.value, version: entry.version, refused }));`,
    );
    const { stdout } = await run(process.execPath, ["use.mjs", server.url], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ value: "from node", version: 1, refused: true });
  });

  it("type-checks against its declarations", async () => {
    await writeFile(
      join(project, "typed.ts"),
      `import { createClient, type Entry, type BallotClient } from "ballot/client";
const client: BallotClient = createClient({ baseUrl: "http://127.0.0.1:1" });
export async function check(): Promise<number> {
  const entry: Entry<{ n: number }> | null = await client.getJSON<{ n: number }>("k");
  return entry?.value.n ?? 0;
}
// @ts-expect-error: put takes a string or bytes
export const wrong = () => client.put("k", 42);`,
    );
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"], types: [] }, files: ["typed.ts"] }),
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    await expect(run(process.execPath, [tsc, "-p", "."], { cwd: project })).resolves.toBeDefined();
    // A budget, not a timing check: a cold tsc takes 3-5 s alone and more on a busy 2-core machine.
  }, 60_000);

  it("installs the ballot command", async () => {
    const ballot = join(project, "node_modules/.bin/ballot");
    const env = { ...process.env, BALLOT_URL: server.url };
    expect((await run(ballot, ["put", "pack/cli", "via bin"], { env })).stdout).toBe("version 1 (created)\n");
    expect((await run(ballot, ["get", "pack/cli"], { env })).stdout).toBe("via bin");
    expect((await run(ballot, ["--version"], { env })).stdout).toBe(JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")).version + "\n");
  });

  it("runs in a Worker", async () => {
    await writeFile(
      join(project, "worker.mjs"),
      `import { createClient } from "ballot/client";
export default {
  async fetch(request) {
    const client = createClient({ baseUrl: new URL(request.url).searchParams.get("ballot") });
    const { value } = await client.increment("pack/worker", 2);
    return Response.json({ value });
  },
};`,
    );
    const bundled = await build({ entryPoints: [join(project, "worker.mjs")], bundle: true, format: "esm", platform: "neutral", write: false, absWorkingDir: project, logLevel: "silent" });
    const mf = new Miniflare({ modules: true, script: bundled.outputFiles[0]!.text, compatibilityDate: "2025-09-01" });
    try {
      const first = await mf.dispatchFetch(`http://worker/?ballot=${encodeURIComponent(server.url)}`);
      expect(await first.json()).toEqual({ value: 2 });
      const second = await mf.dispatchFetch(`http://worker/?ballot=${encodeURIComponent(server.url)}`);
      expect(await second.json()).toEqual({ value: 4 });
    } finally {
      await mf.dispose();
    }
  });

  it("runs in a browser bundle", async () => {
    await writeFile(
      join(project, "page.mjs"),
      `import { createClient } from "ballot/client";
window.ballotDemo = async (baseUrl) => {
  const client = createClient({ baseUrl });
  await client.putJSON("pack/browser", { from: "a page" });
  const entry = await client.getJSON("pack/browser");
  return { value: entry.value, version: entry.version };
};`,
    );
    const bundled = await build({ entryPoints: [join(project, "page.mjs")], bundle: true, format: "iife", platform: "browser", write: false, absWorkingDir: project, logLevel: "silent" });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      // An app page served at the server's own origin (the API sends no CORS headers), with the bundle inline.
      const script = bundled.outputFiles[0]!.text.replaceAll("</script", "<\\/script");
      await page.route(`${server.url}/app.html`, (route) => route.fulfill({ contentType: "text/html", body: `<!doctype html><script>${script}</script>` }));
      await page.goto(`${server.url}/app.html`);
      const result = await page.evaluate(`window.ballotDemo(${JSON.stringify(server.url)})`);
      expect(result).toEqual({ value: { from: "a page" }, version: 1 });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
