import { describe, expect, it } from "vitest";
import { majority } from "../../../src/core/quorum/majority.js";

describe("majority", () => {
  it("is floor(n/2)+1", () => {
    expect(majority(1)).toBe(1);
    expect(majority(3)).toBe(2);
    expect(majority(4)).toBe(3);
    expect(majority(5)).toBe(3);
    expect(majority(7)).toBe(4);
  });
});
