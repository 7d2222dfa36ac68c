import { describe, expect, it } from "vitest";
import { decodeLineage, encodeLineage } from "../../src/acceptor/sqlite-slot-store.js";

describe("lineage storage encoding", () => {
  it("round-trips entries in order, including origins with colons and dashes", () => {
    const lineage = [
      { origin: "0a1b2c3d4e5f6071:12", version: 40 },
      { origin: "p1-xyz:3", version: 37 },
      { origin: "ffffffffffffffff:1", version: 1 },
    ];
    expect(decodeLineage(encodeLineage(lineage))).toEqual(lineage);
    expect(decodeLineage(encodeLineage([]))).toEqual([]);
  });

  it("round-trips hidden counts (transactions' intents) and still reads entries written before them", () => {
    const lineage = [
      { origin: "p1-xyz:9", version: 40, hidden: 2 },
      { origin: "p1-xyz:8", version: 40, hidden: 1 },
      { origin: "p1-xyz:7", version: 40 },
    ];
    expect(encodeLineage(lineage)).toBe("40+2 p1-xyz:9\n40+1 p1-xyz:8\n40 p1-xyz:7");
    expect(decodeLineage(encodeLineage(lineage))).toEqual(lineage);
    expect(decodeLineage("12 a:1\n11 a:0")).toEqual([{ version: 12, origin: "a:1" }, { version: 11, origin: "a:0" }]);
  });
});
