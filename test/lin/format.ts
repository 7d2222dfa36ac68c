// Human-readable rendering of ops, results, states and events for failure reports.
import type { Event, Op, Result } from "./history.js";
import type { State } from "./model.js";

export function formatOp(op: Op): string {
  switch (op.kind) {
    case "read":
      return "read()";
    case "write":
      return `write(${JSON.stringify(op.value)})`;
    case "cas":
      return `cas(expect=${op.expect}, ${JSON.stringify(op.value)})`;
    case "create":
      return `create(${JSON.stringify(op.value)})`;
    case "delete":
      return op.expect === undefined ? "delete()" : `delete(expect=${op.expect})`;
    case "increment":
      return `increment(${op.by})`;
    default:
      return JSON.stringify(op);
  }
}

/** Falls back to JSON for shapes the model never produces (observed results may be bogus). */
export function formatResult(r: Result | null): string {
  if (r === null) return "? (unknown)";
  if ("found" in r) {
    if (r.found === false) return "not found";
    if (r.found === true) return `found ${JSON.stringify(r.value)} v${r.version}`;
  }
  if ("ok" in r && r.ok === true) {
    return "value" in r ? `ok ${r.value} v${r.version}` : `ok v${r.version}`;
  }
  if ("ok" in r && r.ok === false) {
    if ("notInteger" in r) return "refused: not an integer";
    if ("overflow" in r) return "refused: overflow";
    if ("current" in r) return r.current === null ? "refused: absent" : `refused: current v${r.current}`;
  }
  return JSON.stringify(r);
}

export function formatState(s: State): string {
  const v = `v${s.floating === true ? ">=" : ""}${s.version}`;
  return s.value === null ? `${v} absent` : `${v} ${JSON.stringify(s.value)}`;
}

/** e.g. `"k" c3 write("a") -> ok v4 [10, 12]`; unknown ops show `[10, gave up 15)` or `[10, ...)`. */
export function describeEvent(e: Event): string {
  const span =
    e.result !== null ? `[${e.call}, ${e.ret}]` : e.ret === null ? `[${e.call}, ...)` : `[${e.call}, gave up ${e.ret})`;
  return `${JSON.stringify(e.key)} c${e.client} ${formatOp(e.op)} -> ${formatResult(e.result)} ${span}`;
}
