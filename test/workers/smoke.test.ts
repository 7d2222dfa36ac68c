import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("put then get", async () => {
    const put = await exports.default.fetch("http://ballot/v1/keys/a", { method: "PUT", body: "hello" });
    expect(put.status).toBe(201);
    const get = await exports.default.fetch("http://ballot/v1/keys/a");
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("hello");
  });
});
