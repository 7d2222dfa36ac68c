import { DurableObject } from "cloudflare:workers";
import { keyHash } from "../core/key-hash.js";

/**
 * Hubs per cluster. A key's hints go to hub `keyHash(key) % HUB_COUNT`: a hash bucket rather than the key's group,
 * because a layout change moves keys between groups and a watcher must not have to follow them; and several hubs
 * rather than one, because every change of the cluster is one request to its hub (a Durable Object serves on the
 * order of a thousand a second). A watcher of one key connects to one hub.
 */
export const HUB_COUNT = 16;

export function hubOf(key: string): number {
  return keyHash(key) % HUB_COUNT;
}

export function hubObjectName(cluster: string, hub: number): string {
  return `${cluster}/watch-${hub}`;
}

/** The tag of a key's watchers' sockets (tags are at most 256 characters; keys up to 512 bytes, so a hash). */
export function keyTag(key: string): string {
  return `k:${keyHash(key).toString(16)}`;
}

/** The tag of prefix watchers' sockets: every publish looks at each (few: one per prefix stream per Worker isolate). */
export const PREFIX_TAG = "prefix";

/** What a hub sends a watcher: a change of `key` was chosen at `version`. Only a reason to read the key. */
export interface HintMessage {
  readonly key: string;
  readonly version: number;
}

type Attachment = { readonly key: string } | { readonly prefix: string };

/**
 * A watch hub (issue 20): relays change hints from the proposers that chose the changes to the Workers serving
 * watchers. Watchers' WebSockets are accepted with the Hibernation API (`ctx.acceptWebSocket`, a tag per key, the
 * key in the socket's attachment): while no hint comes, the hub is evicted from memory and an idle watcher costs no
 * request and no billed duration. The hub stores nothing: a hint it loses (eviction mid-publish, a failed send) only
 * delays a watcher to its next recheck.
 */
export class WatchHub extends DurableObject {
  /**
   * `GET /subscribe?key=K` with `Upgrade: websocket`: one watcher's socket, hinted of every change of K that this hub
   * relays; `?prefix=P` instead: of every change of a key starting with P (a prefix stream opens one to each hub).
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get("key");
    const prefix = url.searchParams.get("prefix");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || (key === null || key === "") === (prefix === null)) {
      return new Response("expected a WebSocket upgrade with ?key= or ?prefix=", { status: 400 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    if (key !== null && key !== "") {
      this.ctx.acceptWebSocket(server, [keyTag(key)]);
      server.serializeAttachment({ key } satisfies Attachment);
    } else {
      this.ctx.acceptWebSocket(server, [PREFIX_TAG]);
      server.serializeAttachment({ prefix: prefix ?? "" } satisfies Attachment);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A proposer chose a change of `key` at `version`: tell its watchers. Returns how many were told. */
  async publish(key: string, version: number): Promise<number> {
    const message = JSON.stringify({ key, version } satisfies HintMessage);
    let told = 0;
    for (const ws of [...this.ctx.getWebSockets(keyTag(key)), ...this.ctx.getWebSockets(PREFIX_TAG)]) {
      const attachment = ws.deserializeAttachment() as Attachment | null;
      // Another key with the same tag, or a prefix this key is not under.
      if (attachment === null || ("key" in attachment ? attachment.key !== key : !key.startsWith(attachment.prefix))) continue;
      try {
        ws.send(message);
        told++;
      } catch {
        // A socket closing as we send: its watcher is gone.
      }
    }
    return told;
  }

  /** Number of watchers' sockets (tests and metrics). */
  async watchers(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  override async webSocketMessage(): Promise<void> {
    // Watchers send nothing; a message is ignored (it would only wake the hub).
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      // Already closed.
    }
  }
}
