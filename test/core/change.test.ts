import { describe, expect, it } from "vitest";
import {
  compareAndSet,
  COUNTER_CONTENT_TYPE,
  create,
  increment,
  read,
  remove,
  replace,
  write,
  type Change,
  type Decision,
} from "../../src/core/change.js";
import type { Register, RegisterState } from "../../src/core/register.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));
const live = (version: number, text: string, origin = "old"): RegisterState => ({
  version,
  value: enc(text),
  contentType: "text/plain",
  origin,
});
const tombstone = (version: number): RegisterState => ({ version, value: null, contentType: "", origin: "old" });

function applied(change: Change, current: Register, origin = "req-1"): Register {
  const d: Decision = change.apply(current, origin);
  if (d.kind !== "apply") throw new Error(`expected apply, got refusal ${d.refusal.code}`);
  return d.next;
}
function refusedWith(change: Change, current: Register) {
  const d = change.apply(current, "req-1");
  if (d.kind !== "refuse") throw new Error("expected a refusal");
  return d.refusal;
}

describe("read", () => {
  it("is the identity (the very same object) and does not mutate", () => {
    const current = live(3, "x");
    expect(read().mutates).toBe(false);
    expect(applied(read(), current)).toBe(current);
    expect(applied(read(), null)).toBeNull();
  });
});

describe("write", () => {
  it("creates version 1 from nothing, recording value, content type and origin", () => {
    const next = applied(write(enc("hello"), "text/x"), null, "p:7");
    expect(next).toEqual({ version: 1, value: enc("hello"), contentType: "text/x", origin: "p:7" });
    expect(write(enc(""), "t").mutates).toBe(true);
  });

  it("bumps the version of a live register", () => {
    expect(applied(write(enc("b"), "t"), live(4, "a"))).toMatchObject({ version: 5, contentType: "t", origin: "req-1" });
  });

  it("continues the version sequence across a delete", () => {
    const next = applied(write(enc("again"), "t"), tombstone(7));
    expect(next?.version).toBe(8);
    expect(dec(next!.value)).toBe("again");
  });
});

describe("compareAndSet", () => {
  it("applies when the live version matches", () => {
    const next = applied(compareAndSet(3, enc("new"), "t"), live(3, "old"), "me");
    expect(next).toEqual({ version: 4, value: enc("new"), contentType: "t", origin: "me" });
  });

  it("refuses a mismatch with the current state", () => {
    const current = live(3, "old");
    expect(refusedWith(compareAndSet(2, enc("new"), "t"), current)).toEqual({ code: "version_mismatch", current });
  });

  it("refuses on a tombstone, even when its version matches", () => {
    const current = tombstone(3);
    expect(refusedWith(compareAndSet(3, enc("new"), "t"), current)).toEqual({ code: "version_mismatch", current });
  });

  it("refuses on an absent register", () => {
    expect(refusedWith(compareAndSet(0, enc("new"), "t"), null)).toEqual({ code: "version_mismatch", current: null });
  });
});

describe("replace (If-Match: *)", () => {
  it("applies to a live register whatever its version", () => {
    expect(applied(replace(enc("r"), "t"), live(9, "x"))?.version).toBe(10);
  });

  it("refuses an absent register or a tombstone", () => {
    expect(refusedWith(replace(enc("r"), "t"), null)).toEqual({ code: "version_mismatch", current: null });
    expect(refusedWith(replace(enc("r"), "t"), tombstone(2))).toEqual({ code: "version_mismatch", current: tombstone(2) });
  });
});

describe("create (If-None-Match: *)", () => {
  it("applies when absent", () => {
    expect(applied(create(enc("c"), "t"), null)).toEqual({ version: 1, value: enc("c"), contentType: "t", origin: "req-1" });
  });

  it("applies over a tombstone, continuing the versions", () => {
    expect(applied(create(enc("c"), "t"), tombstone(4))?.version).toBe(5);
  });

  it("refuses when live", () => {
    const current = live(1, "x");
    expect(refusedWith(create(enc("c"), "t"), current)).toEqual({ code: "version_mismatch", current });
  });
});

describe("remove", () => {
  it("turns a live register into a tombstone with the next version", () => {
    const next = applied(remove(), live(2, "x"), "del-1");
    expect(next).toEqual({ version: 3, value: null, contentType: "", origin: "del-1" });
  });

  it("applies with a matching expected version", () => {
    expect(applied(remove(2), live(2, "x"))?.value).toBeNull();
  });

  it("refuses an absent register or a tombstone as not_found", () => {
    expect(refusedWith(remove(), null)).toEqual({ code: "not_found", current: null });
    expect(refusedWith(remove(), tombstone(3))).toEqual({ code: "not_found", current: tombstone(3) });
  });

  it("refuses an expected-version mismatch", () => {
    const current = live(2, "x");
    expect(refusedWith(remove(1), current)).toEqual({ code: "version_mismatch", current });
  });
});

describe("increment", () => {
  it("counts an absent register as 0", () => {
    const next = applied(increment(1), null, "inc");
    expect(next).toEqual({ version: 1, value: enc("1"), contentType: COUNTER_CONTENT_TYPE, origin: "inc" });
  });

  it("counts a tombstone as 0 and continues its versions", () => {
    const next = applied(increment(5), tombstone(6));
    expect(dec(next!.value)).toBe("5");
    expect(next!.version).toBe(7);
  });

  it('adds to decimal text: "41" + 1 = "42"', () => {
    const next = applied(increment(1), live(3, "41"));
    expect(dec(next!.value)).toBe("42");
    expect(next!.version).toBe(4);
    expect(next!.contentType).toBe(COUNTER_CONTENT_TYPE);
  });

  it("handles negative values and negative steps", () => {
    expect(dec(applied(increment(-5), live(1, "3"))!.value)).toBe("-2");
    expect(dec(applied(increment(1), live(1, "-7"))!.value)).toBe("-6");
    expect(dec(applied(increment(-1), null)!.value)).toBe("-1");
  });

  for (const text of ["abc", "01", "1.5", " 1", "1 ", "", "+1", "1e3", "0x10", "--1", "9007199254740993"]) {
    it(`refuses non-canonical-integer text ${JSON.stringify(text)} as not_integer`, () => {
      const current = live(1, text);
      expect(refusedWith(increment(1), current)).toEqual({ code: "not_integer", current });
    });
  }

  it("refuses invalid UTF-8 as not_integer", () => {
    const current: RegisterState = { version: 1, value: new Uint8Array([0x31, 0xff, 0x32]), contentType: "t", origin: "o" };
    expect(refusedWith(increment(1), current)).toEqual({ code: "not_integer", current });
  });

  it("refuses a value with a UTF-8 byte-order mark before the digits as not_integer", () => {
    // "\uFEFF5" is not canonical decimal text, just as " 1" is not.
    const current: RegisterState = { version: 1, value: new Uint8Array([0xef, 0xbb, 0xbf, 0x35]), contentType: "t", origin: "o" };
    expect(refusedWith(increment(1), current)).toEqual({ code: "not_integer", current });
  });

  it("refuses to go past MAX_SAFE_INTEGER (either way) as overflow", () => {
    const top = live(1, String(Number.MAX_SAFE_INTEGER));
    expect(refusedWith(increment(1), top)).toEqual({ code: "overflow", current: top });
    const bottom = live(1, String(Number.MIN_SAFE_INTEGER));
    expect(refusedWith(increment(-1), bottom)).toEqual({ code: "overflow", current: bottom });
    expect(dec(applied(increment(-1), top)!.value)).toBe(String(Number.MAX_SAFE_INTEGER - 1));
    expect(dec(applied(increment(Number.MAX_SAFE_INTEGER), null)!.value)).toBe(String(Number.MAX_SAFE_INTEGER));
  });
});

describe("every change is deterministic and leaves its input alone", () => {
  const changes: Change[] = [
    write(enc("w"), "t"),
    compareAndSet(2, enc("c"), "t"),
    replace(enc("r"), "t"),
    create(enc("n"), "t"),
    remove(),
    increment(3),
  ];
  for (const change of changes) {
    it(`${change.name} gives the same decision twice and records the origin`, () => {
      const current = live(2, "7");
      const before = structuredClone(current);
      const a = change.apply(current, "o-1");
      const b = change.apply(current, "o-1");
      expect(a).toEqual(b);
      expect(current).toEqual(before);
      expect(change.mutates).toBe(true);
      if (a.kind === "apply") expect(a.next?.origin).toBe("o-1");
    });
  }
});
