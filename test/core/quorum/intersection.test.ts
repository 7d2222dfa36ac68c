/**
 * The property every quorum rests on: two quorums share an acceptor, so a state chosen by one is seen by the other.
 * For a joint config, a joint quorum also meets every quorum of either group alone: it meets the old epoch's
 * quorums (proposers not yet fenced) and the next epoch's (after the move).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JointConfig } from "../../../src/core/quorum/joint.js";
import { majority, MajorityConfig } from "../../../src/core/quorum/majority.js";
import type { AcceptorId, QuorumConfig } from "../../../src/core/quorum/quorum-config.js";
import { UnanimousConfig } from "../../../src/core/quorum/unanimous.js";

const RUNS = 2_000;
const acceptor = fc.integer({ min: 0, max: 9 });
const group = fc.uniqueArray(acceptor, { minLength: 0, maxLength: 7 });

/** Two groups as a move sees them: unrelated, one acceptor replaced, grown by some, or shrunk by some. */
const groups: fc.Arbitrary<[AcceptorId[], AcceptorId[]]> = group.chain((g) =>
  fc.oneof(
    group.map((h): [AcceptorId[], AcceptorId[]] => [g, h]),
    fc.tuple(fc.nat(), acceptor).map(([at, fresh]): [AcceptorId[], AcceptorId[]] => {
      const h = [...g];
      if (h.length > 0 && !h.includes(fresh)) h[at % h.length] = fresh;
      return [g, h];
    }),
    fc.uniqueArray(acceptor, { maxLength: 4 }).map((more): [AcceptorId[], AcceptorId[]] => [g, [...new Set([...g, ...more])]]),
    fc.subarray(g).map((h): [AcceptorId[], AcceptorId[]] => [g, h]),
  ),
);

/** Acceptors that granted: mostly large sets, so that both of a pair often win and the property is not vacuous. */
const grants = (members: readonly AcceptorId[]) => fc.subarray([...members], { minLength: Math.floor(members.length / 2) });

const wins = (config: QuorumConfig, granted: readonly AcceptorId[]) =>
  config.voteResult(new Map(granted.map((id) => [id, true] as const))) === "won";

const meet = (a: readonly AcceptorId[], b: readonly AcceptorId[]) => a.some((id) => b.includes(id));

/** Checks that any two winning sets of grants of the config share an acceptor, on enough pairs that both win. */
function assertQuorumsIntersect(configs: fc.Arbitrary<QuorumConfig>): void {
  let bothWon = 0;
  fc.assert(
    fc.property(
      configs.chain((config) => fc.tuple(fc.constant(config), grants(config.members), grants(config.members))),
      ([config, a, b]) => {
        if (!wins(config, a) || !wins(config, b)) return;
        bothWon++;
        expect(meet(a, b), `${JSON.stringify(config)}: ${a} and ${b} both win`).toBe(true);
      },
    ),
    { numRuns: RUNS },
  );
  expect(bothWon).toBeGreaterThan(RUNS / 50);
}

describe("quorums intersect", () => {
  it("any two winning sets of a majority config share an acceptor", () => {
    assertQuorumsIntersect(group.map((g) => new MajorityConfig(g)));
  });

  it("any two winning sets of a unanimous config share an acceptor", () => {
    assertQuorumsIntersect(group.map((g) => new UnanimousConfig(g)));
  });

  it("any two winning sets of a joint config share an acceptor", () => {
    assertQuorumsIntersect(groups.map(([g, h]) => new JointConfig(new MajorityConfig(g), new MajorityConfig(h))));
  });

  it("a winning set of a joint config meets every winning set of either group alone", () => {
    let checked = 0;
    fc.assert(
      fc.property(
        groups.chain(([g, h]) => {
          const joint = new JointConfig(new MajorityConfig(g), new MajorityConfig(h));
          return fc.tuple(fc.constant(joint), grants(joint.members), grants(g), grants(h));
        }),
        ([joint, w, a, b]) => {
          if (!wins(joint, w)) return;
          if (wins(joint.outgoing, a)) {
            checked++;
            expect(meet(w, a), `joint ${w} and outgoing ${a}`).toBe(true);
          }
          if (wins(joint.incoming, b)) {
            checked++;
            expect(meet(w, b), `joint ${w} and incoming ${b}`).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThan(RUNS / 10);
  });
});

describe("bare quorums", () => {
  const order = fc.shuffledSubarray(Array.from({ length: 10 }, (_, i) => i));

  it("of a majority config: the first majority in the order of preference, which wins alone", () => {
    fc.assert(
      fc.property(group.filter((g) => g.length > 0), order, (g, preference) => {
        const config = new MajorityConfig(g);
        const bare = config.bareQuorum(preference);
        expect(bare).toHaveLength(majority(g.length));
        expect(wins(config, bare)).toBe(true);
        const listed = preference.filter((id) => g.includes(id));
        expect(bare.slice(0, listed.length)).toEqual(listed.slice(0, bare.length));
      }),
      { numRuns: RUNS },
    );
  });

  it("of a joint config: wins alone, with as few acceptors as any set that wins", () => {
    fc.assert(
      fc.property(groups.filter(([g, h]) => g.length > 0 && h.length > 0), order, ([g, h], preference) => {
        const joint = new JointConfig(new MajorityConfig(g), new MajorityConfig(h));
        const bare = joint.bareQuorum(preference);
        expect(wins(joint, bare)).toBe(true);
        // A winning set holds a majority of each group; acceptors of both count twice, at most min(qG, qH) times.
        const shared = g.filter((id) => h.includes(id)).length;
        const [qG, qH] = [majority(g.length), majority(h.length)];
        expect(bare).toHaveLength(qG + qH - Math.min(shared, qG, qH));
      }),
      { numRuns: RUNS },
    );
  });
});
