/**
 * Fair intake: a request that arrives while others are in progress in this isolate first yields to the runtime once
 * (a zero-delay timer), then runs; the wait shows as `intake;dur=` in its Server-Timing.
 *
 * Why: workerd's event loop (KJ) polls sockets and timers only when no event is ready to run, and locally it runs the
 * Worker and every acceptor object on one thread, so a proposer round (Worker -> acceptors -> SQLite commit -> Worker)
 * is a chain of ready events that never touches the OS. Under sustained load, connections whose next request was
 * already in the socket buffer were read without polling and kept the loop busy, while every connection that had to
 * wait for a poll (a client that paused, a fresh connection, a timer) waited until the loop ran dry: seconds
 * (docs/overload.md). A timer fires only at a poll, so a request that yields on one lets the work ahead of it drain
 * instead of overtaking it, and each poll admits every waiting connection at once. A lone request (nothing else in
 * progress) does not yield, so an idle Worker pays nothing.
 */
export type App = (request: Request) => Promise<Response>;

export function withFairIntake(
  app: App,
  yieldToRuntime: () => Promise<void> = zeroDelayTimer,
  now: () => number = () => Date.now(),
): App {
  let inProgress = 0;
  return async (request) => {
    const busy = inProgress > 0;
    inProgress++;
    try {
      if (!busy) return await app(request);
      const arrived = now();
      await yieldToRuntime();
      const waited = now() - arrived;
      return withIntakeTiming(await app(request), waited);
    } finally {
      inProgress--;
    }
  };
}

function withIntakeTiming(response: Response, ms: number): Response {
  try {
    response.headers.append("server-timing", `intake;dur=${ms}`);
    return response;
  } catch {
    return response; // immutable headers (a proxied response): the timing is only lost
  }
}

function zeroDelayTimer(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
