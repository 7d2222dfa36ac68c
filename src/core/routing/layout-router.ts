import { isJoint, groupById, ownerOf, type AcceptorRef, type Group, type Layout, type OwnerRange } from "../layout/layout.js";
import { vshardOf } from "../layout/vshard.js";
import type { KeyedRequest } from "../messages.js";
import { JointConfig } from "../quorum/joint.js";
import { MajorityConfig } from "../quorum/majority.js";
import type { LayoutCache } from "./layout-cache.js";
import type { NamedTransport } from "./named-transport.js";
import type { Route, Router } from "./router.js";

/**
 * Routes a key by the cached layout: its vshard's group (a majority of it), or while a change moves the vshard, the
 * joint pair (a majority of each). Messages carry the layout's epoch, so acceptors that moved on refuse them.
 *
 * Routes are made once per owner range of a layout and kept until the layout is replaced: the steady state costs a
 * vshard lookup per round, no allocation and no extra message.
 */
export class LayoutRouter implements Router {
  private routes = new WeakMap<OwnerRange, Route>();
  private routed: Layout | null = null;
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly cache: LayoutCache,
    private readonly transport: NamedTransport,
  ) {}

  route(key: string): Route {
    const layout = this.cache.current();
    if (layout !== this.routed) {
      this.routed = layout;
      this.routes = new WeakMap();
    }
    const range = ownerOf(layout, vshardOf(key));
    let route = this.routes.get(range);
    if (route === undefined) {
      route = routeFor(layout, range, this.transport);
      this.routes.set(range, route);
    }
    return route;
  }

  /** Concurrent refusals share one reload. */
  refresh(): Promise<void> {
    this.reloading ??= this.cache.reload().finally(() => (this.reloading = null));
    return this.reloading;
  }
}

/** The acceptors of a route by id: the old group's first, then the new group's that are not in it. */
export function routeFor(layout: Layout, range: OwnerRange, transport: NamedTransport): Route {
  const epoch = layout.epoch;
  const refs: AcceptorRef[] = [];
  const ids = new Map<string, number>();
  const idsOf = (group: Group) =>
    group.acceptors.map((ref) => {
      let id = ids.get(ref.name);
      if (id === undefined) {
        id = refs.length;
        refs.push(ref);
        ids.set(ref.name, id);
      }
      return id;
    });
  const owner = range.owner;
  const quorum = isJoint(owner)
    ? new JointConfig(new MajorityConfig(idsOf(groupById(layout, owner.old))), new MajorityConfig(idsOf(groupById(layout, owner.new))))
    : new MajorityConfig(idsOf(groupById(layout, owner.group)));
  return {
    epoch,
    quorum,
    send: (id, request: KeyedRequest) => {
      const ref = refs[id];
      if (ref === undefined) return Promise.reject(new Error(`no acceptor ${id} in this route`));
      return transport.send(ref, { ...request, epoch });
    },
  };
}
