/**
 * A Node script using the Ballot client over HTTP: a shared JSON config document edited by read-modify-write, a
 * counter, and a compare-and-set, with the typed errors a caller handles.
 *
 *   npm start                                   # a local Ballot on http://127.0.0.1:8787
 *   npx esbuild examples/node-script.ts --bundle --platform=node --format=esm --outfile=dist/node-script.mjs
 *   BALLOT_URL=http://127.0.0.1:8787 node dist/node-script.mjs      # BALLOT_TOKEN=... if the server has tokens
 *
 * CI runs `main()` against a local server (test/client/examples.test.ts).
 */
import { OutcomeUnknown, PreconditionFailed, Unavailable, createClient } from "../src/client/index.js";

interface Settings {
  readonly featureFlags: Record<string, boolean>;
  readonly editedBy: string[];
}

export interface ExampleResult {
  readonly settings: Settings;
  readonly settingsVersion: number;
  readonly runs: number;
  readonly casRefused: boolean;
}

export async function main(options: { baseUrl: string; token?: string; prefix?: string; log?: (line: string) => void }): Promise<ExampleResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const client = createClient({ baseUrl: options.baseUrl, ...(options.token === undefined ? {} : { token: options.token }) });
  const prefix = options.prefix ?? "example";

  // Read-modify-write of a JSON document: retried automatically when another writer wins the race.
  const { entry } = await client.updateJSON<Settings>(`${prefix}/settings`, (current) => {
    const settings = current?.value ?? { featureFlags: {}, editedBy: [] };
    return { featureFlags: { ...settings.featureFlags, newCheckout: true }, editedBy: [...settings.editedBy, "node-script"] };
  });
  log(`settings at version ${entry?.version}: ${JSON.stringify(entry?.value)}`);

  // A counter. increment is not idempotent: after OutcomeUnknown, read before deciding to add again.
  let runs: number;
  try {
    runs = (await client.increment(`${prefix}/runs`)).value;
  } catch (error) {
    if (error instanceof Unavailable) {
      await new Promise((r) => setTimeout(r, error.retryAfter * 1000)); // definitely not applied: safe to retry
      runs = (await client.increment(`${prefix}/runs`)).value;
    } else if (error instanceof OutcomeUnknown) {
      runs = Number((await client.getText(`${prefix}/runs`))?.value ?? 0); // maybe applied: look, do not add twice
    } else throw error;
  }
  log(`this script ran ${runs} time(s)`);

  // Compare-and-set with a stale version is refused and tells the current one.
  let casRefused = false;
  try {
    await client.putJSON(`${prefix}/settings`, { featureFlags: {}, editedBy: [] }, { ifVersion: (entry?.version ?? 0) - 1 });
  } catch (error) {
    if (!(error instanceof PreconditionFailed)) throw error;
    casRefused = true;
    log(`stale write refused; the settings are at version ${error.currentVersion}`);
  }
  return { settings: entry?.value as Settings, settingsVersion: entry?.version ?? 0, runs, casRefused };
}

const invokedDirectly = typeof process !== "undefined" && process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (invokedDirectly) {
  const baseUrl = process.env.BALLOT_URL ?? "http://127.0.0.1:8787";
  const token = process.env.BALLOT_TOKEN;
  main({ baseUrl, ...(token === undefined ? {} : { token }) }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
