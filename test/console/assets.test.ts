import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { CONSOLE_HTML } from "../../src/console/page.js";
import { consoleAsset } from "../../src/console/routes.js";
import { CONSOLE_JS } from "../../src/console/script.js";
import { CONSOLE_CSS } from "../../src/console/styles.js";

const get = (path: string, method = "GET") => consoleAsset(new Request(`http://ballot.test${path}`, { method }));

describe("console assets", () => {
  it("the script parses (it lives in a String.raw literal, so a stray backtick or ${ would break it)", () => {
    expect(() => new Script(CONSOLE_JS, { filename: "app.js" })).not.toThrow();
    expect(CONSOLE_JS).not.toContain("innerHTML");
  });

  it("loads nothing from another origin", () => {
    for (const text of [CONSOLE_HTML, CONSOLE_JS, CONSOLE_CSS]) {
      expect(text).not.toMatch(/https?:\/\//);
      expect(text).not.toMatch(/(src|href)="\/\//);
    }
    expect(CONSOLE_HTML).toContain('<script src="/console/app.js" defer></script>');
    expect(CONSOLE_HTML).not.toMatch(/<script>|\son[a-z]+="/); // no inline script or handlers: the CSP forbids them
  });

  it("every form control has a label", () => {
    const ids = [...CONSOLE_HTML.matchAll(/<(?:input|textarea|select)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(CONSOLE_HTML, `label for #${id}`).toContain(`<label for="${id}">`);
  });

  it("serves the page, script and stylesheet with their types and a strict CSP", async () => {
    for (const [path, type, body] of [
      ["/console", "text/html", CONSOLE_HTML],
      ["/console/", "text/html", CONSOLE_HTML],
      ["/console/app.js", "text/javascript", CONSOLE_JS],
      ["/console/app.css", "text/css", CONSOLE_CSS],
    ] as const) {
      const res = get(path);
      expect(res?.status, path).toBe(200);
      expect(res?.headers.get("content-type")).toContain(type);
      expect(res?.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
      expect(res?.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res?.text()).toBe(body);
    }
    expect(await get("/console", "HEAD")?.text()).toBe("");
  });

  it("leaves every other path to the app, and refuses other methods", async () => {
    for (const path of ["/", "/consoles", "/console/meta.json", "/console/app.js/x", "/v1/keys/console"]) {
      expect(get(path), path).toBeUndefined();
    }
    const res = get("/console", "POST");
    expect(res?.status).toBe(405);
    expect(res?.headers.get("allow")).toBe("GET, HEAD");
    expect(((await res?.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });
});
