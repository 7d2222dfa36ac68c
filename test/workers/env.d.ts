// Types `exports` from "cloudflare:workers" in tests as the Worker's own module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/index.js");
    durableNamespaces: "Acceptor" | "Collector" | "IntentSweeper" | "WatchHub";
  }
}
