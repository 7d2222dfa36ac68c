import type { ChangeKind } from "./change-request.js";
import type { ChangeState, ChangeStep } from "./change-record.js";
import type { Layout } from "./layout.js";

/** The body of `GET /v1/admin/layout` (issue 19), plus the change's kind. */
export interface AdminLayoutView {
  readonly epoch: number;
  readonly vshards: number;
  readonly groups: readonly {
    readonly id: number;
    readonly acceptors: readonly { readonly name: string; readonly locationHint: string | null }[];
  }[];
  readonly change: null | {
    readonly id: number;
    readonly kind: ChangeKind;
    readonly state: ChangeState;
    readonly step: ChangeStep;
    readonly vshardsDone: number;
    readonly vshardsTotal: number;
    readonly keysCopied: number;
    readonly error?: string;
  };
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
    change:
      c === null
        ? null
        : {
            id: c.id,
            kind: c.kind,
            state: c.state,
            step: c.step,
            vshardsDone: c.vshardsDone,
            vshardsTotal: c.vshardsTotal,
            keysCopied: c.keysCopied,
            ...(c.error === undefined ? {} : { error: c.error }),
          },
  };
}
