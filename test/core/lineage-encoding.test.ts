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
});
