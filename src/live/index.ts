// The live engine: a session over a stream of 16 kHz mono samples, with turn detection by the
// embedded Silero VAD, partial re-decodes and committed utterances. The server's live routes
// (src/server/routes/live.ts and src/server/openai/realtime.ts) only frame its events.
export { SAMPLE_RATE, VAD_WINDOW_SAMPLES } from "./audio.ts";
export { PARTIAL_INTERVAL, type LiveEvent, type PartialMode } from "./events.ts";
export { LiveSession, MAX_BACKLOG_S, MAX_UTTERANCE_S, PROMPT_TAIL_CHARS, tail, type LiveSessionOptions } from "./session.ts";
export { DEFAULT_TURN_OPTIONS, TurnDetector, type TurnOptions } from "./turns.ts";
