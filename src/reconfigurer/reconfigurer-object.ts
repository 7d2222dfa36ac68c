import { DurableObject } from "cloudflare:workers";
import type { Acceptor } from "../acceptor/acceptor-object.js";
import type { ChangeRequest } from "../core/layout/change-request.js";
import { Proposer } from "../core/proposer.js";
import { Reconfigurer, type StepOutcome } from "../core/reconfig/reconfigurer.js";
import { LayoutRouter } from "../core/routing/layout-router.js";
import { initialLayout, rootRegisters, type ClusterSettings } from "../cluster/cluster-layout.js";
import { DurableObjectNamedTransport } from "../cluster/named-object-transport.js";
import { systemClock, systemRandom } from "../cluster/runtime.js";
import { nextRun, RUN_BUDGET_MS, STEP_PAUSE_MS } from "./schedule.js";

interface Bindings {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
}

/** What `start` answers: the change began (its id and joint epoch), or why not. */
export type StartAnswer =
  | { readonly ok: true; readonly change: number; readonly epoch: number }
  | { readonly ok: false; readonly code: "change_in_progress" | "invalid_request" | "unavailable"; readonly message: string };

/** Keys listed per page, vshards caught up between two progress records, keys caught up at once. */
const PAGE_SIZE = 500;
const VSHARDS_PER_STEP = 16;
const PARALLEL_KEYS = 16;
/** The least time a change's calls get (BALLOT_ROUND_TIMEOUT_MS if longer). */
const MIN_ROUND_TIMEOUT_MS = 2_000;
/** A nudge leaves an alarm due within this long as it is (a step backing off after a failure, for example). */
const NUDGE_SOONER_MS = 1_000;

/**
 * The cluster's one reconfigurer (src/core/reconfig/reconfigurer.ts in a Durable Object): `start` writes a change's
 * joint epoch into the config register, and the alarm runs its steps until it is done. Every step starts from the
 * register and ends with a CAS of it, so this object holds nothing that matters: after a crash, an eviction or a
 * deploy, the next alarm (or the next `start`) reads where the change stands and carries on. Two instances racing
 * (there should be one, by name) are harmless: the CAS lets one step win.
 */
export class LayoutReconfigurer extends DurableObject<Bindings> {
  private settings: ClusterSettings | undefined;
  private failures = 0;
  private running = false;
  /** This instance has run an alarm. */
  private ran = false;
  /** Identifies this in-memory instance (a restart changes it): for the dev admin's crash test. */
  private readonly instanceId = crypto.randomUUID();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** Starts a change (refused while one runs) and schedules its steps. */
  async start(settings: ClusterSettings, request: ChangeRequest): Promise<StartAnswer> {
    this.remember(settings);
    const begun = await this.reconfigurer(settings).begin(request);
    if (begun.kind === "retry") return { ok: false, code: "unavailable", message: begun.reason };
    if (begun.kind === "refused") {
      return { ok: false, code: begun.code === "change_in_progress" ? "change_in_progress" : "invalid_request", message: begun.message };
    }
    this.failures = 0;
    await this.ctx.storage.setAlarm(Date.now());
    return { ok: true, change: begun.layout.change!.id, epoch: begun.layout.epoch };
  }

  /**
   * Makes sure a running change is being worked on now: a Worker that reads a running change asks. After a crash in
   * the middle of an alarm the runtime retries the alarm, but only after its own backoff (seconds); a new instance
   * that runs nothing takes the work up at once instead.
   */
  async nudge(settings: ClusterSettings): Promise<void> {
    this.remember(settings);
    if (this.running) return;
    const alarm = await this.ctx.storage.getAlarm();
    // An instance that has run a step keeps its own schedule (a retry backing off is not hurried); a fresh one (after
    // a crash) or a lost alarm starts now.
    if (alarm === null || (!this.ran && alarm > Date.now() + NUDGE_SOONER_MS)) await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const settings = this.settings ?? this.load();
    if (settings === undefined) return;
    this.running = true;
    this.ran = true;
    let outcome: StepOutcome;
    try {
      outcome = await this.runFor(settings, RUN_BUDGET_MS);
    } catch (error) {
      outcome = { kind: "retry", reason: String(error) };
    } finally {
      this.running = false;
    }
    if (outcome.kind === "retry") {
      this.failures++;
      console.error(JSON.stringify({ msg: "layout change step to retry", reason: outcome.reason, failures: this.failures }));
    } else {
      this.failures = 0;
    }
    const next = nextRun(outcome.kind, Date.now(), this.failures);
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /** Dev admin only: the id of this in-memory instance. */
  instance(): string {
    return this.instanceId;
  }

  /** Dev admin only: crash this object (a pending alarm survives it, and the change resumes from the register). */
  restart(): void {
    this.ctx.abort("restart requested by the dev admin API");
  }

  /** Steps until the change is done, a step must be retried, or the budget is spent (then "advanced": run again). */
  private async runFor(settings: ClusterSettings, budgetMs: number): Promise<StepOutcome> {
    const reconfigurer = this.reconfigurer(settings);
    const until = Date.now() + budgetMs;
    let outcome: StepOutcome;
    do {
      outcome = await reconfigurer.step();
      await new Promise((resolve) => setTimeout(resolve, STEP_PAUSE_MS));
      if (outcome.kind === "advanced") {
        const c = outcome.layout.change;
        console.log(JSON.stringify({ msg: "layout change step", epoch: outcome.layout.epoch, change: c?.id, step: c?.step, state: c?.state, vshardsDone: c?.vshardsDone, vshardsTotal: c?.vshardsTotal, keysCopied: c?.keysCopied }));
      }
    } while (outcome.kind === "advanced" && Date.now() < until);
    return outcome;
  }

  private reconfigurer(given: ClusterSettings): Reconfigurer {
    // No request waits on a change: give its calls time, so that objects created by the change (cold, each making its
    // SQLite file) answer within a round rather than time out and be asked again and again.
    const proposer = {
      ...given.proposer,
      roundTimeoutMs: Math.max(given.proposer.roundTimeoutMs, MIN_ROUND_TIMEOUT_MS),
      deadlineMs: Math.max(given.proposer.deadlineMs, 4 * MIN_ROUND_TIMEOUT_MS),
    };
    const settings = { ...given, proposer };
    const objects = new DurableObjectNamedTransport(this.env.ACCEPTOR);
    const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    let proposers = 0;
    return new Reconfigurer({
      root: rootRegisters(this.env.ACCEPTOR, settings),
      initial: initialLayout(settings),
      objects,
      clock: systemClock,
      roundTimeoutMs: settings.proposer.roundTimeoutMs,
      keysUnder: (cache) => new Proposer(`rc${id}${proposers++}`, settings.proposer, new LayoutRouter(cache, objects), systemClock, systemRandom),
      pageSize: PAGE_SIZE,
      vshardsPerStep: VSHARDS_PER_STEP,
      parallelKeys: PARALLEL_KEYS,
    });
  }

  private remember(settings: ClusterSettings): void {
    const text = JSON.stringify(settings);
    if (this.settings !== undefined && JSON.stringify(this.settings) === text) return;
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (name, value) VALUES ('settings', ?)", text);
    this.settings = settings;
  }

  private load(): ClusterSettings | undefined {
    const row = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE name = 'settings'").toArray()[0];
    if (row === undefined) return undefined;
    const stored = JSON.parse(row.value) as ClusterSettings;
    // JSON turned "no hint" (undefined) into null: turn it back.
    this.settings = { ...stored, locationHints: stored.locationHints.map((h) => h ?? undefined) };
    return this.settings;
  }
}

/** The object name of a cluster's reconfigurer. */
export function reconfigurerObjectName(cluster: string): string {
  return `${cluster}/reconfigurer`;
}
