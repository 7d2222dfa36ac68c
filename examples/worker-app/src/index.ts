/**
 * An example Worker app that keeps its state in Ballot, reached through a service binding (no public hop):
 *
 *   POST /polls/{id}/vote  {"option": "..."}   counts a vote (read-modify-write with compare-and-set)
 *   GET  /polls/{id}                           the tally
 *   POST /hits                                 a counter
 *
 * See examples/worker-app/wrangler.toml for the binding and docs/client.md ("Examples") for running it.
 */
import { BallotError, Unavailable, createClient, type BallotClient } from "../../../src/client/index.js";

export interface Env {
  /** Service binding to the Ballot Worker. */
  BALLOT: Fetcher;
  /** One of Ballot's BALLOT_TOKENS (a secret of this Worker); unset against a local Ballot without tokens. */
  BALLOT_TOKEN?: string;
}

type Tally = Record<string, number>;

export function ballotFor(env: Env): BallotClient {
  return createClient({
    // The host is not used by a service binding; any absolute URL will do.
    baseUrl: "https://ballot.internal",
    ...(env.BALLOT_TOKEN === undefined ? {} : { token: env.BALLOT_TOKEN }),
    fetch: (input, init) => env.BALLOT.fetch(input, init),
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const ballot = ballotFor(env);
    const url = new URL(request.url);
    const poll = /^\/polls\/([A-Za-z0-9_-]{1,64})(\/vote)?$/.exec(url.pathname);
    try {
      if (poll !== null && poll[2] === undefined && request.method === "GET") {
        const tally = await ballot.getJSON<Tally>(`polls/${poll[1]}`);
        return Response.json({ tally: tally?.value ?? {}, version: tally?.version ?? 0 });
      }
      if (poll !== null && poll[2] !== undefined && request.method === "POST") {
        const { option } = (await request.json()) as { option?: unknown };
        if (typeof option !== "string" || option.length === 0 || option.length > 64) {
          return Response.json({ error: "option must be a string of 1 to 64 characters" }, { status: 400 });
        }
        const { entry } = await ballot.updateJSON<Tally>(`polls/${poll[1]}`, (current) => {
          const tally = current?.value ?? {};
          return { ...tally, [option]: (tally[option] ?? 0) + 1 };
        });
        return Response.json({ tally: entry?.value, version: entry?.version });
      }
      if (url.pathname === "/hits" && request.method === "POST") {
        return Response.json(await ballot.increment("hits"));
      }
      return Response.json({ error: "not found" }, { status: 404 });
    } catch (error) {
      if (error instanceof Unavailable) {
        return Response.json({ error: "try again" }, { status: 503, headers: { "retry-after": String(error.retryAfter) } });
      }
      if (error instanceof BallotError) return Response.json({ error: error.code }, { status: 502 });
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
