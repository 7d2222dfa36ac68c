import { Acceptor } from "./acceptor/acceptor-object.js";
import { loadConfig } from "./config.js";
import type { Env } from "./env.js";
import { errorResponse, ApiError } from "./http/errors.js";
import { createApp } from "./http/app.js";
import { createWorkerProposer } from "./proposer/worker-proposer.js";

export { Acceptor };

let app: ((request: Request) => Promise<Response>) | undefined;

/**
 * The proposer Worker. One proposer per isolate: its ballot counter and piggybacked promises serve every request
 * the isolate handles. Built on the first request (random ids cannot be made at module load).
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      app ??= buildApp(env);
    } catch (error) {
      console.error(error);
      return errorResponse(new ApiError(500, "misconfigured", "the server is misconfigured; see its logs"));
    }
    return app(request);
  },
} satisfies ExportedHandler<Env>;

function buildApp(env: Env): (request: Request) => Promise<Response> {
  const config = loadConfig(env);
  return createApp({ registers: createWorkerProposer(env, config), maxValueBytes: config.maxValueBytes });
}
