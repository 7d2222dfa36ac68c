import { waitUntil } from "cloudflare:workers";
import { Acceptor } from "./acceptor/acceptor-object.js";
import { Collector } from "./collector/collector-object.js";
import { IntentSweeper } from "./collector/intent-sweeper-object.js";
import { LayoutReconfigurer, reconfigurerObjectName } from "./reconfigurer/reconfigurer-object.js";
import { loadConfig, type BallotConfig } from "./config.js";
import { consoleAsset } from "./console/routes.js";
import type { Env } from "./env.js";
import { createDevAdmin } from "./http/admin.js";
import { createApp, type App as BallotApp, type RouteInfo } from "./http/app.js";
import { authOptionsFrom, withAuth } from "./http/auth.js";
import { ApiError, errorResponse } from "./http/errors.js";
import { withFairIntake } from "./http/fair-intake.js";
import { healthRoutes } from "./http/health.js";
import { layoutRoutes } from "./http/layout-admin.js";
import { listRoutes } from "./http/list.js";
import { lockRoutes } from "./http/locks.js";
import { txnRoutes } from "./http/txn.js";
import { watchRoutes } from "./http/watch.js";
import { watchPrefixRoutes } from "./http/watch-prefix.js";
import { openApiRoutes } from "./http/openapi-route.js";
import { consoleLogAfterResponse, withRequestLog } from "./http/request-log.js";
import type { Route } from "./http/route.js";
import { createAcceptorProbe } from "./cluster/acceptor-probe.js";
import { collectingDeletes } from "./collector/collection-trigger.js";
import { armingIntentSweeps } from "./collector/intent-sweep-trigger.js";
import { clusterSettings, createWorkerProposer } from "./proposer/worker-proposer.js";
import { transactions } from "./proposer/transactions.js";
import { initialLayout } from "./cluster/cluster-layout.js";
import { systemClock } from "./cluster/runtime.js";
import { LocalHints, publishingChanges } from "./core/watch/hints.js";

/** The isolate's watchers of keys (blocking reads), told at once of the changes this isolate's proposer chooses. */
const localHints = new LocalHints();

import { WatchHub } from "./watch/watch-hub.js";
import { allHints, hubHints, hubPublisher } from "./watch/hub-hints.js";

export { Acceptor, Collector, IntentSweeper, LayoutReconfigurer, WatchHub };

type App = (request: Request) => Promise<Response>;
let app: App | undefined;

/**
 * The proposer Worker. One proposer per isolate: its ballot counter, piggybacked promises and per-key queues serve
 * every request the isolate handles. Built on the first request (random ids cannot be made at module load).
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // The console's static page, script and stylesheet: constants with no data, served before auth (see src/console).
    const asset = consoleAsset(request);
    if (asset !== undefined) return asset;
    try {
      app ??= serve(env);
    } catch (error) {
      console.error(error);
      return errorResponse(new ApiError(500, "misconfigured", "the server is misconfigured; see its logs"));
    }
    return app(request);
  },
} satisfies ExportedHandler<Env>;

/**
 * The app as served: one JSON log line per request (written after the response) around fair intake around
 * bearer-token auth around the routes. Throws when misconfigured.
 */
export function serve(env: Env): App {
  const config = loadConfig(env);
  const built = buildApp(env, config);
  const authed = withAuth(built, authOptionsFrom(env));
  // Inside the log, so its latency and `intakeMs` include the wait for a fair turn.
  const fair = config.fairIntake ? withFairIntake(authed) : authed;
  return withRequestLog(fair, built.routes, consoleLogAfterResponse(waitUntil));
}

/** The routes the Worker serves with this env (the OpenAPI test compares them with the document). */
export function routeTable(env: Env): readonly RouteInfo[] {
  return buildApp(env, loadConfig(env)).routes;
}

function buildApp(env: Env, config: BallotConfig): BallotApp {
  const reconfigurerName = reconfigurerObjectName(config.cluster);
  // Dev only: the fault table wraps the calls and the dev admin routes exist only when DEV_ADMIN is "true".
  const admin = createDevAdmin(env.ACCEPTOR, env.COLLECTOR, env.RECONFIGURER, reconfigurerName, config);
  const proposer = createWorkerProposer(env, config, admin?.wrap);
  // Deletes (and lock releases) wake the group's garbage collector in the background of their request.
  // Every applied change hints the watchers of its key: the isolate's own at once, the others' through the key's hub
  // (published in the background of the request: a failed publish is a lost hint, covered by the watchers' rechecks).
  const published = publishingChanges(
    collectingDeletes(proposer.registers, env.COLLECTOR, config, proposer.layout, waitUntil),
    localHints.publish,
    hubPublisher(env.WATCH_HUB, config.cluster, waitUntil),
  );
  // Every route reads and changes keys through the transaction layer (a key may hold a transaction's intent). Under
  // it, placing an intent, or meeting one, wakes the group's intent sweeper in the background of the request.
  const sweeping = armingIntentSweeps(published, env.INTENT_SWEEPER, config, proposer.layout, waitUntil);
  const txn = transactions(sweeping, systemClock, { ...config.txn, deadlineMs: config.proposer.deadlineMs }, waitUntil, proposer.prepareAhead);
  const registers = txn.registers;
  const settings = clusterSettings(config);
  const routes: Route[] = [
    ...listRoutes({ list: proposer.listVia(registers), roundTimeoutMs: config.proposer.roundTimeoutMs, deadlineMs: config.proposer.deadlineMs }),
    ...lockRoutes(registers, () => Date.now()),
    ...txnRoutes(txn.run, config.maxValueBytes),
  ];
  if (admin !== undefined) routes.push(...admin.routes(proposer.layout));
  routes.push(
    ...layoutRoutes({
      root: proposer.root,
      initial: initialLayout(settings),
      seen: (layout) => proposer.layout.update(layout),
      start: (request) => env.RECONFIGURER.get(env.RECONFIGURER.idFromName(reconfigurerName)).start(settings, request),
      nudge: () => env.RECONFIGURER.get(env.RECONFIGURER.idFromName(reconfigurerName)).nudge(settings),
      background: waitUntil,
    }),
    ...healthRoutes(createAcceptorProbe(env, config, proposer.layout)),
    ...openApiRoutes(),
  );
  const waiting = { hints: allHints(localHints, hubHints(env.WATCH_HUB, config.cluster)), clock: systemClock, recheckMs: config.watchRecheckMs };
  const streams = { ...waiting, maxStreamMs: config.watchMaxStreamMs };
  routes.push(...watchRoutes(registers, streams), ...watchPrefixRoutes(registers, { ...streams, scanVersions: proposer.scanVersions }));
  return createApp({ registers, maxValueBytes: config.maxValueBytes, routes, waiting });
}
