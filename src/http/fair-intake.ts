/**
 * Fair intake: a request that arrives while others are in progress in this isolate, and when the runtime has not
 * polled its sockets and timers lately, first yields to the runtime once (a zero-delay timer), then runs; the wait
 * shows as `intake;dur=` in its Server-Timing.
 *
 * Why: workerd's event loop (KJ) polls sockets and timers only when no event is ready to run, and locally it runs the
 * Worker and every acceptor object on one thread, so a proposer round (Worker -> acceptors -> SQLite commit -> Worker)
 * is a chain of ready events that never touches the OS. Under sustained load, connections whose next request was
 * already in the socket buffer were read without polling and kept the loop busy, while every connection that had to
 * wait for a poll (a client that paused, a fresh connection, a timer) waited until the loop ran dry: seconds
 * (docs/overload.md). A timer fires only at a poll, so a request that yields on one lets the work ahead of it drain
 * instead of overtaking it, and each poll admits every waiting connection at once.
 *
 * A yield costs a drain of the loop, when nothing runs but timers, so requests yield only when no poll was seen for
 * `windowMs` (a yielded timer firing is such a sighting): under saturation every newcomer yields and no connection
 * waits more than the window plus one drain; under light load at most one request per window pays for a drain, and
 * a lone request (nothing else in progress) never yields.
 */
export type App = (request: Request) => Promise<Response>;

export interface FairIntakeOptions {
  /** How long a poll counts as recent; 0 makes every request that arrives while others run yield. */
  readonly windowMs?: number;
  readonly yieldToRuntime?: () => Promise<void>;
  readonly now?: () => number;
}

export function withFairIntake(app: App, options: FairIntakeOptions = {}): App {
  const { windowMs = 10, yieldToRuntime = zeroDelayTimer, now = () => Date.now() } = options;
  let inProgress = 0;
  let lastPollSeen = -Infinity;
  return async (request) => {
    const mustYield = inProgress > 0 && (windowMs === 0 || now() - lastPollSeen > windowMs);
    inProgress++;
    try {
      if (!mustYield) return await app(request);
      const arrived = now();
      await yieldToRuntime();
      lastPollSeen = now();
      return withIntakeTiming(await app(request), lastPollSeen - arrived);
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
