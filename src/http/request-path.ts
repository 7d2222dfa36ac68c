const paths = new WeakMap<Request, string>();

/**
 * The request's path (percent-encoded, dot segments resolved), parsed once per request: the console, the request log
 * and the router all need it, and each URL parse was a visible share of a local read.
 */
export function pathOf(request: Request): string {
  let path = paths.get(request);
  if (path === undefined) {
    path = new URL(request.url).pathname;
    paths.set(request, path);
  }
  return path;
}
