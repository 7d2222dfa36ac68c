import type { HintSink, HintSource } from "../core/watch/hints.js";
import type { WatchHub } from "./watch-hub.js";
import { HUB_COUNT, hubObjectName, hubOf, type HintMessage } from "./watch-hub.js";

/** The hub object of a key in a cluster. */
export function hubStub(namespace: DurableObjectNamespace<WatchHub>, cluster: string, key: string): DurableObjectStub<WatchHub> {
  return hubAt(namespace, cluster, hubOf(key));
}

/** Hub number `hub` of a cluster. */
function hubAt(namespace: DurableObjectNamespace<WatchHub>, cluster: string, hub: number): DurableObjectStub<WatchHub> {
  return namespace.get(namespace.idFromName(hubObjectName(cluster, hub)));
}

/**
 * Publishes a change's hint to the key's hub, in `background` (the request's waitUntil): never on the request's
 * path. A publish that fails is a lost hint: logged, and the watchers' rechecks cover it.
 */
export function hubPublisher(namespace: DurableObjectNamespace<WatchHub>, cluster: string, background: (work: Promise<unknown>) => void): HintSink {
  return (key, version) => {
    try {
      background(
        hubStub(namespace, cluster, key)
          .publish(key, version)
          .catch((error: unknown) => logLost(key, version, error)),
      );
    } catch (error) {
      logLost(key, version, error);
    }
  };
}

function logLost(key: string, version: number, error: unknown): void {
  console.error(JSON.stringify({ msg: "watch hint lost", keyBytes: key.length, version, error: String(error) }));
}

/** Pauses before reopening a hub socket that closed or could not open: doubling from the first to the last. */
export const HUB_RETRY_MS = { first: 500, max: 30_000 } as const;

/**
 * Hints from the hubs: a WebSocket per subscription to the key's hub (a prefix's keys hash to every hub: one socket
 * to each), opened from the subscribing request (its messages arrive in that request's context). A socket that closes
 * or cannot open is reopened after a pause that doubles up to HUB_RETRY_MS.max (logged once per outage); meanwhile
 * the subscriber's rechecks cover what it misses.
 */
export function hubHints(namespace: DurableObjectNamespace<WatchHub>, cluster: string): HintSource {
  return {
    subscribe(key, onHint) {
      return hubSocket(namespace, cluster, hubOf(key), `key=${encodeURIComponent(key)}`, (hint) => {
        if (hint.key === key) onHint(hint.version);
      });
    },
    subscribePrefix(prefix, onHint) {
      const stops = Array.from({ length: HUB_COUNT }, (_, hub) =>
        hubSocket(namespace, cluster, hub, `prefix=${encodeURIComponent(prefix)}`, (hint) => {
          if (hint.key.startsWith(prefix)) onHint(hint.key, hint.version);
        }),
      );
      return () => stops.forEach((stop) => stop());
    },
  };
}

/** One socket to hub `hub` for `query`, kept open (reopened after a pause) until the returned function is called. */
function hubSocket(namespace: DurableObjectNamespace<WatchHub>, cluster: string, hub: number, query: string, onHint: (hint: HintMessage) => void): () => void {
  let closed = false;
  let socket: WebSocket | undefined;
  let pause: number = HUB_RETRY_MS.first;
  let logged = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const reopen = (why: string) => {
    socket = undefined;
    if (closed) return;
    if (!logged) console.error(JSON.stringify({ msg: "watch hub unreachable", hub, error: why }));
    logged = true;
    retry = setTimeout(() => void open(), pause);
    pause = Math.min(pause * 2, HUB_RETRY_MS.max);
  };
  const open = async () => {
    try {
      const response = await hubAt(namespace, cluster, hub).fetch(`https://hub/subscribe?${query}`, { headers: { upgrade: "websocket" } });
      const ws = response.webSocket;
      if (ws === null) throw new Error(`the hub answered ${response.status} without a WebSocket`);
      ws.accept();
      if (closed) return ws.close(1000, "done");
      socket = ws;
      pause = HUB_RETRY_MS.first;
      logged = false;
      ws.addEventListener("message", (event) => {
        try {
          const hint = JSON.parse(String(event.data)) as HintMessage;
          if (typeof hint.key === "string" && Number.isSafeInteger(hint.version)) onHint(hint);
        } catch {
          // Not a hint: ignored.
        }
      });
      ws.addEventListener("close", (event) => {
        if (socket === ws) reopen(`closed (${event.code})`);
      });
      ws.addEventListener("error", () => {
        if (socket === ws) reopen("socket error");
      });
    } catch (error) {
      reopen(String(error));
    }
  };
  void open();
  return () => {
    closed = true;
    if (retry !== undefined) clearTimeout(retry);
    try {
      socket?.close(1000, "done");
    } catch {
      // Already closed.
    }
  };
}

/** Every source's hints (the isolate's own, the hub's). */
export function allHints(...sources: HintSource[]): HintSource {
  return {
    subscribe(key, onHint) {
      const stops = sources.map((s) => s.subscribe(key, onHint));
      return () => stops.forEach((stop) => stop());
    },
    subscribePrefix(prefix, onHint) {
      const stops = sources.map((s) => s.subscribePrefix(prefix, onHint));
      return () => stops.forEach((stop) => stop());
    },
  };
}
