import type { HintSink, HintSource } from "../core/watch/hints.js";
import type { WatchHub } from "./watch-hub.js";
import { hubObjectName, hubOf, type HintMessage } from "./watch-hub.js";

/** The hub object of a key in a cluster. */
export function hubStub(namespace: DurableObjectNamespace<WatchHub>, cluster: string, key: string): DurableObjectStub<WatchHub> {
  return namespace.get(namespace.idFromName(hubObjectName(cluster, hubOf(key))));
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

/**
 * Hints from the key's hub: a WebSocket to it per subscription, opened from the subscribing request (its messages
 * arrive in that request's context). A hub that cannot be reached leaves the subscriber to its rechecks (logged).
 */
export function hubHints(namespace: DurableObjectNamespace<WatchHub>, cluster: string): HintSource {
  return {
    subscribe(key, onHint) {
      let closed = false;
      let socket: WebSocket | undefined;
      void (async () => {
        try {
          const response = await hubStub(namespace, cluster, key).fetch(`https://hub/subscribe?key=${encodeURIComponent(key)}`, { headers: { upgrade: "websocket" } });
          const ws = response.webSocket;
          if (ws === null) throw new Error(`the hub answered ${response.status} without a WebSocket`);
          ws.accept();
          if (closed) return ws.close(1000, "done");
          socket = ws;
          ws.addEventListener("message", (event) => {
            try {
              const hint = JSON.parse(String(event.data)) as HintMessage;
              if (hint.key === key && Number.isSafeInteger(hint.version)) onHint(hint.version);
            } catch {
              // Not a hint: ignored.
            }
          });
        } catch (error) {
          console.error(JSON.stringify({ msg: "watch hub unreachable", keyBytes: key.length, error: String(error) }));
        }
      })();
      return () => {
        closed = true;
        try {
          socket?.close(1000, "done");
        } catch {
          // Already closed.
        }
      };
    },
  };
}

/** Every source's hints (the isolate's own, the hub's). */
export function allHints(...sources: HintSource[]): HintSource {
  return {
    subscribe(key, onHint) {
      const stops = sources.map((s) => s.subscribe(key, onHint));
      return () => stops.forEach((stop) => stop());
    },
  };
}
