import { afterAll } from "vitest";

// The Worker writes each request's log line just after its response (src/http/request-log.ts). Let the lines of a
// file's last requests go out before its environment closes, or vitest reports a console call still in flight.
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
});
