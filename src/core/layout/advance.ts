import { isRunning, type ChangeStep, type LayoutChange } from "./change-record.js";
import type { Layout } from "./layout.js";
import { leaveJoint, withStep } from "./leave-joint.js";
import { failure, success, type Result } from "./result.js";

/**
 * What the reconfigurer reports as it works, each turning the layout in the config register into the next one:
 * - `joint-installed`: the joint epoch is installed on enough acceptors that no quorum of the old epoch remains;
 * - `progress`: so many moving vshards are caught up (in position order) and so many keys copied in all;
 * - `caught-up`: every moving vshard is caught up; the final epoch follows;
 * - `final-installed`: the final epoch is installed; the change is done;
 * - `fail`: give up before the final epoch, rolling the moving vshards back to their old groups.
 */
export type ChangeEvent =
  | { readonly kind: "joint-installed" }
  | { readonly kind: "progress"; readonly vshardsDone: number; readonly keysCopied: number }
  | { readonly kind: "caught-up" }
  | { readonly kind: "final-installed" }
  | { readonly kind: "fail"; readonly error: string };

/**
 * The layout after an event of the running change, or why the event does not fit (`invalid_step`). Ownership changes
 * (`caught-up`, `fail`) take the next epoch; the others only update the change record in the same epoch, since no
 * acceptor needs to fence anything for them.
 */
export function advance(layout: Layout, event: ChangeEvent): Result<Layout> {
  const change = layout.change;
  if (!isRunning(change)) return failure("invalid_step", `no change is running (event ${event.kind})`);
  const wrongStep = (...steps: ChangeStep[]) =>
    failure<Layout>("invalid_step", `change ${change.id} is in step ${change.step}; ${event.kind} comes in step ${steps.join(" or ")}`);
  const same = (next: LayoutChange): Result<Layout> => success({ ...layout, change: next });

  switch (event.kind) {
    case "joint-installed":
      if (change.step !== "joint") return wrongStep("joint");
      return same(withStep(change, "catch-up"));

    case "progress": {
      if (change.step !== "catch-up") return wrongStep("catch-up");
      const { vshardsDone, keysCopied } = event;
      if (!Number.isSafeInteger(vshardsDone) || vshardsDone < change.vshardsDone || vshardsDone > change.vshardsTotal) {
        return failure("invalid_step", `vshardsDone must grow from ${change.vshardsDone} to at most ${change.vshardsTotal}, not ${vshardsDone}`);
      }
      if (!Number.isSafeInteger(keysCopied) || keysCopied < change.keysCopied) {
        return failure("invalid_step", `keysCopied must not go back from ${change.keysCopied} to ${keysCopied}`);
      }
      return same({ ...change, vshardsDone, keysCopied });
    }

    case "caught-up":
      if (change.step !== "catch-up") return wrongStep("catch-up");
      // The new group alone may serve a vshard only once every state chosen before the joint epoch is on it.
      if (change.vshardsDone !== change.vshardsTotal) {
        return failure("invalid_step", `change ${change.id} has caught up ${change.vshardsDone} of ${change.vshardsTotal} vshards; the final epoch must wait for all`);
      }
      return success(leaveJoint(layout, "new", withStep(change, "final"), templateAfter(layout, change)));

    case "final-installed":
      if (change.step !== "final") return wrongStep("final");
      return same({ ...withStep(change, "done"), state: "done" });

    case "fail":
      if (change.step !== "joint" && change.step !== "catch-up") {
        return failure("invalid_step", `change ${change.id} has written its final epoch; it can only finish`);
      }
      if (typeof event.error !== "string" || event.error === "") return failure("invalid_step", "a failure needs an error message");
      // Rolling back needs no catch-up: every round of the joint epoch had a majority of the old group too.
      return success(leaveJoint(layout, "old", { ...change, state: "failed", error: event.error }, layout));
  }
}

/** The N and hints new groups get after the change: those it asked for if it set them. */
function templateAfter(layout: Layout, change: LayoutChange): Pick<Layout, "acceptors" | "locationHints"> {
  const request = change.request;
  if ("acceptors" in request && request.locationHints !== undefined) {
    return { acceptors: request.acceptors, locationHints: request.locationHints };
  }
  return layout;
}
