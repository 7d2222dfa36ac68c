#!/usr/bin/env node
/** The `ballot` executable: the CLI on the real process. */
import { processIO } from "./io.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), await processIO());
