import { isJoint, type Layout } from "../../src/core/layout/layout.js";
import { Proposer } from "../../src/core/proposer.js";
import { Reconfigurer, type ReconfigurerDeps } from "../../src/core/reconfig/reconfigurer.js";
import { LayoutRouter } from "../../src/core/routing/layout-router.js";
import { EarlyFinalReconfigurer, MinorityInstallReconfigurer, SkipCatchUpReconfigurer } from "./bugs.js";
import { Life, ProcessClock } from "./clock.js";
import type { Cluster } from "./cluster.js";
import type { LayoutSpec } from "./layout.js";
import type { Rng } from "./rng.js";

export interface ReconfigurationCounts {
  changesDone: number;
  steps: number;
  retries: number;
  deaths: number;
  /** Objects crashed while a catch-up step ran. */
  catchUpCrashes: number;
}

/**
 * The reconfigurer of the layout scenarios: the real src/core Reconfigurer (or a broken one, for a negative control)
 * as a process on the simulated network, running the scenario's changes one after another. It dies now and then in
 * the middle of a step (its calls hang forever, as a crashed Durable Object's would); a fresh one with a new id then
 * resumes from the config register. It also crashes objects of the moving groups during catch-up steps.
 */
export class SimReconfiguration {
  readonly counts: ReconfigurationCounts = { changesDone: 0, steps: 0, retries: 0, deaths: 0, catchUpCrashes: 0 };
  /** Whether every change is done. */
  finished = false;
  /** Keeps injecting faults (deaths, crashes) while this holds. */
  faulty = true;
  private spawned = 0;
  log: ((line: string) => void) | null = null;

  constructor(
    private readonly spec: LayoutSpec,
    private readonly cluster: Cluster,
    private readonly rng: Rng,
  ) {}

  async run(): Promise<void> {
    const scheduler = this.cluster.scheduler;
    await scheduler.sleep(this.rng.between(...this.spec.startMs));
    let next = 0;
    let process = this.spawn();
    for (;;) {
      await scheduler.sleep(this.rng.between(...this.spec.pauseMs));
      if (!process.life.isAlive) {
        await scheduler.sleep(this.rng.between(...this.spec.restartMs));
        process = this.spawn();
      }
      if (this.faulty && this.rng.chance(this.spec.crash)) {
        const doomed = process.life;
        scheduler.after(this.rng.between(0, 3 * this.spec.roundTimeoutMs), () => doomed.kill());
      }
      const published = this.cluster.published;
      if (this.faulty && published?.change?.step === "catch-up" && this.rng.chance(this.spec.crashDuringCatchUp)) this.crashMovingObject(published);
      // Every turn starts from the config register: a step of the running change, or the next change when none runs.
      const outcome = await this.unlessDead(process, process.reconfigurer.step());
      if (outcome === "dead") continue;
      this.counts.steps++;
      if (outcome.kind === "retry") {
        this.counts.retries++;
        this.log?.(`reconfigurer ${process.id}: retry (${outcome.reason})`);
        continue;
      }
      this.publish(outcome.layout);
      this.log?.(`reconfigurer ${process.id}: ${outcome.kind} epoch ${outcome.layout.epoch} ${outcome.layout.change?.step ?? "-"}`);
      if (outcome.kind === "advanced") {
        if (outcome.layout.change?.state === "done") this.counts.changesDone++;
        continue;
      }
      if (next >= this.spec.changes.length) {
        this.finished = true;
        return;
      }
      const started = await this.unlessDead(process, process.reconfigurer.start(this.spec.changes[next]!));
      if (started === "dead") continue;
      this.log?.(`reconfigurer ${process.id}: start ${JSON.stringify(this.spec.changes[next])}: ${started ?? "written"}`);
      // Written, or refused as pointless (a start that died after its CAS, done already): on to the next change.
      if (started === null || started.startsWith("invalid_request")) next++;
    }
  }

  /** The step's outcome, or "dead" if the process died first (its calls then never settle). */
  private async unlessDead<T>(process: { id: string; life: Life }, work: Promise<T>): Promise<T | "dead"> {
    const outcome = await Promise.race([work, new Promise<"dead">((resolve) => process.life.whenDead(() => resolve("dead")))]);
    if (outcome === "dead") {
      this.counts.deaths++;
      this.log?.(`reconfigurer ${process.id}: died`);
    }
    return outcome;
  }

  private publish(layout: Layout): void {
    if (this.cluster.published === null || layout.epoch >= this.cluster.published.epoch) this.cluster.published = layout;
  }

  private crashMovingObject(layout: Layout): void {
    const names: string[] = [];
    for (const range of layout.owners) {
      if (!isJoint(range.owner)) continue;
      for (const id of [range.owner.old, range.owner.new]) for (const ref of layout.groups.find((g) => g.id === id)?.acceptors ?? []) names.push(ref.name);
    }
    if (names.length === 0) return;
    const node = this.cluster.acceptors[this.cluster.objects.indexOf(this.rng.pick(names))]!;
    if (node.crashed) return;
    node.crash();
    this.counts.catchUpCrashes++;
    this.cluster.scheduler.after(this.rng.between(...this.spec.downMs), () => node.restart());
  }

  private spawn() {
    const n = this.spawned++;
    const rng = this.rng.fork(`reconfigurer-${n}`);
    const id = `r${n}-${rng.uint32().toString(36)}`;
    const life = new Life();
    const clock = new ProcessClock(this.cluster.scheduler, life, rng.between(0, this.cluster.spec.clockSkewMs));
    const transport = this.cluster.network.transport({ id, life });
    const objects = this.cluster.objects.named(transport);
    const config = { ...this.cluster.spec.config, roundTimeoutMs: this.spec.roundTimeoutMs };
    let keysProposers = 0;
    const deps: ReconfigurerDeps = {
      root: this.cluster.rootProposer(`${id}-root`, transport, clock, rng.fork("root")),
      initial: this.cluster.firstLayout!,
      objects,
      clock,
      roundTimeoutMs: this.spec.roundTimeoutMs,
      keysUnder: (cache) => new Proposer(`${id}-k${keysProposers++}`, config, new LayoutRouter(cache, objects), clock, rng.fork("keys")),
      pageSize: 16,
      vshardsPerStep: this.spec.vshardsPerStep,
      parallelKeys: 4,
    };
    const bug = this.cluster.spec.bug;
    const reconfigurer =
      bug === "layout-minority-install" ? new MinorityInstallReconfigurer(deps)
      : bug === "layout-skip-catch-up" ? new SkipCatchUpReconfigurer(deps)
      : bug === "layout-early-final" ? new EarlyFinalReconfigurer(deps)
      : new Reconfigurer(deps);
    return { id, life, reconfigurer };
  }
}
