import type { LayoutChange } from "./change-record.js";
import type { Layout } from "./layout.js";

/** The body of `GET /v1/admin/layout` (issue 19), plus the change's kind. */
export interface AdminLayoutView {
  readonly epoch: number;
  readonly vshards: number;
  readonly groups: readonly {
    readonly id: number;
    readonly acceptors: readonly { readonly name: string; readonly locationHint: string | null }[];
  }[];
  /** The change as recorded, less the request it was planned from. */
  readonly change: null | Omit<LayoutChange, "request">;
}

export function adminView(layout: Layout): AdminLayoutView {
  const c = layout.change;
  return {
    epoch: layout.epoch,
    vshards: layout.vshards,
    groups: layout.groups.map((g) => ({
      id: g.id,
      acceptors: g.acceptors.map((a) => ({ name: a.name, locationHint: a.locationHint ?? null })),
    })),
    change: c === null ? null : withoutRequest(c),
  };
}

function withoutRequest({ request: _planned, ...shown }: LayoutChange): Omit<LayoutChange, "request"> {
  return shown;
}
