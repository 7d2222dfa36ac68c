/**
 * A headless Chromium for the browser tests, from npm alone: `@sparticuz/chromium` ships the browser inside its
 * package (unpacked to /tmp on first use; nothing is downloaded), so `npm ci && npm test` needs no system package.
 * Set BALLOT_CHROMIUM to a browser's path (for example Debian's /usr/bin/chromium) to use that one instead.
 */
import sparticuz from "@sparticuz/chromium";
import { chromium, type Browser } from "playwright-core";

/** Flags that keep Chromium off the network: this machine's closed network refuses its background connections. */
const QUIET = ["--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];

export async function launchBrowser(): Promise<Browser> {
  const system = process.env.BALLOT_CHROMIUM;
  if (system !== undefined && system !== "") {
    return chromium.launch({ executablePath: system, args: ["--headless", "--no-sandbox", "--disable-gpu", ...QUIET] });
  }
  // Its flags are made for one page per process (AWS Lambda); --single-process would end the browser with its last page.
  const args = sparticuz.args.filter((arg) => arg !== "--single-process");
  return chromium.launch({ executablePath: await sparticuz.executablePath(), args: [...args, ...QUIET], headless: true });
}
