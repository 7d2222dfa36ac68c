import type { History, Op, Seen } from "./history.js";

/**
 * The bank's checkers. Each returns violations as text (empty: passed).
 *
 * 1. `checkTotals`: every atomic read of all accounts sees the conserved total, and no balance below zero
 *    (transfers compare the balance they move, so a double spend shows as a negative balance or a wrong total).
 * 2. `checkFinalBalances`: after healing and the sweep, each balance is the initial one plus the transfers whose
 *    record is committed (with succeeded), and those are exactly the acknowledged ones plus some of the unknown
 *    ones: every acknowledged transfer's record is committed, no record of a definitely-not-applied one is.
 * 3. `checkVersions`: one version, one value, per key, across every acknowledged read and write (a read answering a
 *    pending intent's value, or two transactions writing over the same version, shows here).
 * 4. `checkSerializable`: strict serializability of all acknowledged operations (transfers, atomic reads, plain
 *    single-key reads and writes, which makes the single-key ones linearizable): the dependency graph of Adya et al.
 *    with the keys' version order (a key's versions are its write order) plus real-time order must be acyclic.
 *    Edges: a key's writers in version order (ww); the latest known writer at or below a read version to the reader
 *    (wr); a reader to the first known writer above its version (rw, anti-dependency); an op that returned before
 *    another was called to it (real time, through a chain of time points: linear, not quadratic). Operations whose
 *    outcome is unknown are not nodes (their versions have no known writer), so this is a check of what clients
 *    were told; their effects are covered by (2).
 */

export function checkTotals(history: History, expected: number): string[] {
  const violations: string[] = [];
  for (const t of history.totals) {
    if (t.total !== expected) violations.push(`atomic read at ${t.call.toFixed(1)}-${t.ret.toFixed(1)} saw total ${t.total}, not ${expected}: ${describe(t.balances)}`);
    const negative = t.balances.find((b) => b.value !== null && b.value < 0);
    if (negative !== undefined) violations.push(`atomic read at ${t.call.toFixed(1)} saw ${negative.key} = ${negative.value}`);
  }
  for (const op of history.ops) {
    for (const s of [...op.reads, ...op.writes]) {
      if (s.value !== null && s.value < 0) {
        violations.push(`${op.what} saw ${s.key}@${s.version} = ${s.value} (negative: funds spent twice)`);
        break;
      }
    }
  }
  return violations.slice(0, 5);
}

export function checkFinalBalances(
  history: History,
  initial: ReadonlyMap<string, number>,
  final: ReadonlyMap<string, number | null>,
  records: ReadonlyMap<string, "pending" | "committed-succeeded" | "committed-failed" | "aborted" | "absent">,
): string[] {
  const violations: string[] = [];
  const expected = new Map(initial);
  let unknownApplied = 0;
  for (const t of history.transfers) {
    const record = records.get(t.txn) ?? "absent";
    // A record still pending at the end was never committed, and never will be: only its coordinator commits, and
    // every coordinator has finished or died (a pending record whose intents are all gone is garbage, not a block).
    if (t.ending === "succeeded" && record !== "committed-succeeded") violations.push(`transfer ${t.txn} was acknowledged as done, but its record is ${record}`);
    if (t.ending === "compare-failed" && record !== "committed-failed") violations.push(`transfer ${t.txn} was acknowledged as not done (compare failed), but its record is ${record}`);
    if ((t.ending === "unavailable" || t.ending === "refused") && record.startsWith("committed")) {
      violations.push(`transfer ${t.txn} was answered ${t.ending} (definitely not applied), but its record is ${record}`);
    }
    if (record === "committed-succeeded") {
      if (t.ending === "unknown" || t.ending === "killed") unknownApplied++;
      expected.set(t.from, (expected.get(t.from) ?? 0) - t.amount);
      expected.set(t.to, (expected.get(t.to) ?? 0) + t.amount);
    }
  }
  for (const [key, want] of expected) {
    const got = final.get(key);
    if (got !== want) violations.push(`final balance of ${key} is ${got}, expected ${want} (initial plus the ${history.transfers.filter((t) => records.get(t.txn) === "committed-succeeded").length} committed transfers, ${unknownApplied} of them unacknowledged)`);
  }
  return violations.slice(0, 8);
}

export function checkVersions(history: History): string[] {
  const values = new Map<string, { value: number | null; by: string }>();
  const violations: string[] = [];
  for (const op of history.ops) {
    for (const s of [...op.reads, ...op.writes]) {
      const id = `${s.key}@${s.version}`;
      const known = values.get(id);
      if (known === undefined) values.set(id, { value: s.value, by: op.what });
      else if (known.value !== s.value && violations.length < 5) violations.push(`${id} is ${known.value} to ${known.by} but ${s.value} to ${op.what}`);
    }
  }
  const writers = new Map<string, string>();
  for (const op of history.ops) {
    for (const s of op.writes) {
      const id = `${s.key}@${s.version}`;
      const other = writers.get(id);
      if (other !== undefined && violations.length < 5) violations.push(`${id} written by both ${other} and ${op.what}`);
      writers.set(id, op.what);
    }
  }
  return violations;
}

export function checkSerializable(history: History): string[] {
  const ops = history.ops;
  const n = ops.length;
  // Nodes: ops 0..n-1, then time points.
  const edges: number[][] = Array.from({ length: n }, () => []);
  const edge = (a: number, b: number) => {
    if (a !== b) edges[a]!.push(b);
  };
  const perKey = new Map<string, { writes: { version: number; op: number }[]; reads: { version: number; op: number }[] }>();
  const entry = (key: string) => {
    let e = perKey.get(key);
    if (e === undefined) perKey.set(key, (e = { writes: [], reads: [] }));
    return e;
  };
  for (const op of ops) {
    for (const w of op.writes) entry(w.key).writes.push({ version: w.version, op: op.id });
    for (const r of op.reads) if (!op.writes.some((w) => w.key === r.key)) entry(r.key).reads.push({ version: r.version, op: op.id });
  }
  for (const { writes, reads } of perKey.values()) {
    writes.sort((a, b) => a.version - b.version);
    for (let i = 1; i < writes.length; i++) edge(writes[i - 1]!.op, writes[i]!.op);
    for (const r of reads) {
      const before = lastAtOrBelow(writes, r.version);
      if (before !== undefined) edge(before.op, r.op);
      const after = writes[before === undefined ? 0 : writes.indexOf(before) + 1];
      if (after !== undefined && after.version > r.version) edge(r.op, after.op);
    }
  }
  // Real time: a chain of time points; calls sort before returns at the same instant (no order between them).
  const points = ops.flatMap((op) => [
    { t: op.call, kind: 0, op: op.id },
    { t: op.ret, kind: 1, op: op.id },
  ]);
  points.sort((a, b) => a.t - b.t || a.kind - b.kind);
  points.forEach((p, i) => {
    const node = n + i;
    edges.push([]);
    if (i > 0) edges[node - 1]!.push(node);
    if (p.kind === 0) edges[node]!.push(p.op);
    else edges[p.op]!.push(node);
  });
  const cycle = findCycle(edges);
  if (cycle === null) return [];
  const named = cycle.filter((v) => v < n).map((v) => `${ops[v]!.what} [${ops[v]!.call.toFixed(1)}-${ops[v]!.ret.toFixed(1)}] reads ${describe(ops[v]!.reads)} writes ${describe(ops[v]!.writes)}`);
  return [`not serializable: a cycle through ${named.length} ops:\n  ${named.slice(0, 8).join("\n  ")}`];
}

function lastAtOrBelow(writes: readonly { version: number; op: number }[], version: number): { version: number; op: number } | undefined {
  let found: { version: number; op: number } | undefined;
  for (const w of writes) {
    if (w.version > version) break;
    found = w;
  }
  return found;
}

/** A cycle of the graph (its nodes in order), or null: iterative depth-first search with colours. */
function findCycle(edges: readonly number[][]): number[] | null {
  const colour = new Uint8Array(edges.length);
  const parent = new Int32Array(edges.length).fill(-1);
  for (let start = 0; start < edges.length; start++) {
    if (colour[start] !== 0) continue;
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
    colour[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const out = edges[top.node]!;
      if (top.next >= out.length) {
        colour[top.node] = 2;
        stack.pop();
        continue;
      }
      const to = out[top.next++]!;
      if (colour[to] === 1) {
        const cycle = [to];
        for (let v = top.node; v !== to && v >= 0; v = parent[v]!) cycle.push(v);
        return cycle.reverse();
      }
      if (colour[to] === 0) {
        colour[to] = 1;
        parent[to] = top.node;
        stack.push({ node: to, next: 0 });
      }
    }
  }
  return null;
}

export function describe(seen: readonly Seen[]): string {
  return seen.map((s) => `${s.key}@${s.version}=${s.value}`).join(" ");
}

export type { Op };
