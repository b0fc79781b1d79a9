// Sona's TypeScript client, for Bun and Node (20+). Self-contained: it imports no server code, so
// it can be bundled on its own (`bun build src/client/index.ts --target=node`).
//
//   import { spawnSona } from "sona/client";
//   await using sona = await spawnSona({ model: "base.en" });
//   console.log((await sona.client.transcribe("meeting.wav")).text);
//   for await (const event of sona.client.transcribeStream("meeting.wav")) console.log(event);
export { SonaClient, type SonaClientOptions } from "./client.ts";
export { isSonaClientError, SonaClientError, SonaClientError as SonaError, type SonaClientErrorInit } from "./errors.ts";
export { LiveTranscription, type LiveOptions, type LiveServerEvent } from "./live.ts";
export type { AudioInput } from "./multipart.ts";
export type { RetryBusy, RetryBusyOptions } from "./retry.ts";
export { type ProcessExit, type ReadyLine, SonaProcess, spawnSona, type SpawnOptions } from "./process.ts";
export type * from "./types.ts";
