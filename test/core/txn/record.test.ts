import { describe, expect, it } from "vitest";
import type { Change } from "../../../src/core/change.js";
import { nextState } from "../../../src/core/change.js";
import type { Register } from "../../../src/core/register.js";
import { abortRecord, commitRecord, isRecordKey, parseRecord, recordKey, RECORD_CONTENT_TYPE } from "../../../src/core/txn/record.js";
import { INTERNAL_KEY } from "../../../src/core/listing/list-keys.js";

const T = "T1";
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const rec = (status: string, extra: object = {}, version = 1): Register => ({ version, value: enc({ txn: T, status, startedAt: 100, ...extra }), contentType: RECORD_CONTENT_TYPE, origin: "o" });

/** The record's status after `change` from `current`, or "refused". */
function after(change: Change, current: Register): string {
  const d = change.apply(current, "p:1");
  if (d.kind === "refuse") return "refused";
  const r = parseRecord(d.next);
  const same = d.next === current ? " (same)" : "";
  return r === null ? "absent" : `${r.status}${r.succeeded === undefined ? "" : r.succeeded ? "/succeeded" : "/failed"} @${r.startedAt}${same}`;
}

describe("the transaction record: pending (absent) -> committed | aborted, exactly once", () => {
  const absent: Register = null;
  const tombstone: Register = nextState(null, null, "", "o");
  // [from, change, expected]
  const cases: [string, Register, Change, string][] = [
    ["absent (pending: nobody writes it before the commit)", absent, commitRecord(T, 70, true), "committed/succeeded @70"],
    ["absent", absent, commitRecord(T, 70, false), "committed/failed @70"],
    ["a tombstone (as absent)", tombstone, commitRecord(T, 70, true), "committed/succeeded @70"],
    ["pending (written by an older coordinator): its own start is kept", rec("pending"), commitRecord(T, 70, true), "committed/succeeded @100"],
    ["pending", rec("pending"), commitRecord(T, 100, false), "committed/failed @100"],
    ["committed", rec("committed", { succeeded: true }), commitRecord(T, 100, true), "committed/succeeded @100 (same)"],
    ["aborted", rec("aborted"), commitRecord(T, 100, true), "refused"],
    ["aborted while absent (a resolver found it stale)", rec("aborted", {}, 1), commitRecord(T, 100, false), "refused"],

    ["pending", rec("pending"), abortRecord(T, 100), "aborted @100"],
    ["absent", absent, abortRecord(T, 90), "aborted @90"],
    ["aborted", rec("aborted"), abortRecord(T, 100), "aborted @100 (same)"],
    ["committed", rec("committed", { succeeded: true }), abortRecord(T, 100), "refused"],
    ["pending, stale (began 100, cut-off 150)", rec("pending"), abortRecord(T, 100, 150), "aborted @100"],
    ["pending, fresh (began 100, cut-off 100)", rec("pending"), abortRecord(T, 100, 100), "refused"],
    ["absent, the intent dates it stale", absent, abortRecord(T, 40, 50), "aborted @40"],
    ["absent, the intent dates it fresh", absent, abortRecord(T, 60, 50), "refused"],
    ["pending: the record's own start counts, not the intent's", rec("pending"), abortRecord(T, 10, 50), "refused"],
    ["committed, stale or not", rec("committed", { succeeded: false }), abortRecord(T, 10, 500), "refused"],
  ];
  for (const [from, current, change, expected] of cases) {
    it(`${change.name} from ${from}: ${expected}`, () => expect(after(change, current)).toBe(expected));
  }

  it("commit and abort race: whichever is chosen first, the other refuses", () => {
    const committed = commitRecord(T, 100, true).apply(null, "a");
    const aborted = abortRecord(T, 100, 1000).apply(null, "b");
    expect(committed.kind === "apply" && abortRecord(T, 100, 1000).apply(committed.next, "b").kind).toBe("refuse");
    expect(aborted.kind === "apply" && commitRecord(T, 100, true).apply(aborted.next, "a").kind).toBe("refuse");
  });

  it("lives under an internal key that listings skip", () => {
    expect(recordKey(T)).toBe("\u0001txn:T1");
    expect(INTERNAL_KEY.test(recordKey(T))).toBe(true);
    expect(isRecordKey(recordKey(T))).toBe(true);
    expect(isRecordKey("txn:T1")).toBe(false);
  });
});
