#!/usr/bin/env bun
import { registerEmbedded } from "./bundle/index.ts";
import { runCli } from "./cli/index.ts";

// a no-op in dev; in the compiled binary it makes the embedded libwhisper and ffmpeg findable
registerEmbedded();
await runCli(process.argv.slice(2));
