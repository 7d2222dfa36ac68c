import { ApiError, errorResponse } from "../http/errors.js";
import { CONSOLE_HTML } from "./page.js";
import { CONSOLE_JS } from "./script.js";
import { CONSOLE_CSS } from "./styles.js";
import { pathOf } from "../http/request-path.js";

/**
 * The Ballot console (issue 8): a static page, script and stylesheet under `/console`. The page learns everything
 * else from the API itself: N, the majority and the location hints from `GET /v1/health`, whether dev mode is on from
 * `GET /v1/admin/faults` (404 when DEV_ADMIN is off).
 *
 * Auth: the three static assets are served WITHOUT the bearer token, on purpose. They are constants, the same for
 * every visitor and visible in this repository, and hold no data; a browser navigating to `/console` cannot attach
 * an `Authorization` header, so a page behind bearer auth could not even load to ask for the token. Everything the
 * page shows comes from the API with the token the visitor enters (kept in sessionStorage, sent as
 * `Authorization: Bearer`), behind the same auth as any other client.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Assets change with each deploy; revalidate rather than pin a stale script against a newer API.
  "cache-control": "no-cache",
};

const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  "/console": { type: "text/html; charset=utf-8", body: CONSOLE_HTML },
  "/console/": { type: "text/html; charset=utf-8", body: CONSOLE_HTML },
  "/console/app.js": { type: "text/javascript; charset=utf-8", body: CONSOLE_JS },
  "/console/app.css": { type: "text/css; charset=utf-8", body: CONSOLE_CSS },
};

/** The console's static asset for this request, or undefined when the path is not one (the app handles it). */
export function consoleAsset(request: Request): Response | undefined {
  const asset = ASSETS[pathOf(request)];
  if (asset === undefined) return undefined;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return errorResponse(new ApiError(405, "method_not_allowed", "allowed: GET, HEAD", {}, { allow: "GET, HEAD" }));
  }
  return new Response(request.method === "HEAD" ? null : asset.body, {
    status: 200,
    headers: { ...SECURITY_HEADERS, "content-type": asset.type },
  });
}
