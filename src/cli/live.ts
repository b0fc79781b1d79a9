// `sona live <model> [input]`: live transcription of raw PCM from stdin (or a file) through the
// live engine (src/live), the same session the server's live routes use. Each committed utterance
// is one line on stdout (or --json: every event as NDJSON); on a TTY the open utterance's partial
// text is a status line on stderr. Ctrl-C stops reading, commits what is open, and exits 0.
import { defineCommand } from "citty";
import { Resampler } from "../audio/resample.ts";
import { WhisperEngine } from "../engine/index.ts";
import { isSonaError, SonaError } from "../errors.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, PARTIAL_INTERVAL, type LiveEvent, type PartialMode } from "../live/index.ts";
import { prepareModel } from "../models/index.ts";
import { parseOptions } from "../options.ts";
import { embeddedVadModel, resolveVadModel } from "../vad/model.ts";
import { deviceFlags, gpuArgs } from "../gpu/args.ts";
import { verboseArg } from "./args.ts";
import { UsageError } from "./usage.ts";

const FORMATS = { s16le: 2, f32le: 4 } as const;

export default defineCommand({
  meta: {
    name: "live",
    description: "Transcribe a live stream of raw PCM (stdin by default): one line per utterance as it ends",
  },
  args: {
    model: { type: "positional", description: "Model file or name (see: sona models, sona pull)" },
    input: { type: "positional", required: false, description: "Raw PCM file, or - for stdin (default)" },
    "input-format": { type: "string", description: "s16le (default) or f32le, little-endian mono" },
    rate: { type: "string", description: "Sample rate of the input in Hz (default 16000; others are resampled)" },
    realtime: { type: "boolean", description: "Read a file at real-time pace (stdin is taken as it comes)" },
    json: { type: "boolean", description: "Print every event as one JSON line instead of the text" },
    language: { type: "string", description: "Language code (default: auto on multilingual models)" },
    prompt: { type: "string", description: "Text to prompt the first utterance with (vocabulary, spelling)" },
    "partial-mode": { type: "string", description: "fixed (default), auto (3x the decode time) or off" },
    "partial-interval-ms": { type: "string", description: `Partial cadence in ms of audio, ${PARTIAL_INTERVAL.minMs}-${PARTIAL_INTERVAL.maxMs} (default ${PARTIAL_INTERVAL.defaultMs})` },
    "vad-model": { type: "string", description: "Silero VAD model (default: the embedded silero-v6.2.0)" },
    ...gpuArgs,
    ...verboseArg,
  },
  async run({ args }) {
    const format = String(args["input-format"] ?? "s16le");
    if (!(format in FORMATS)) throw new UsageError(`--input-format must be s16le or f32le, not ${format}`);
    const rate = Number(args.rate ?? 16000);
    if (!Number.isInteger(rate) || rate < 8000 || rate > 192000) throw new UsageError(`--rate must be a whole number of Hz from 8000 to 192000`);
    const mode = String(args["partial-mode"] ?? "fixed") as PartialMode;
    if (!["fixed", "auto", "off"].includes(mode)) throw new UsageError("--partial-mode must be fixed, auto or off");
    const interval = Number(args["partial-interval-ms"] ?? PARTIAL_INTERVAL.defaultMs);
    if (!(interval >= PARTIAL_INTERVAL.minMs && interval <= PARTIAL_INTERVAL.maxMs)) {
      throw new UsageError(`--partial-interval-ms must be from ${PARTIAL_INTERVAL.minMs} to ${PARTIAL_INTERVAL.maxMs}`);
    }
    let decode;
    try {
      decode = parseOptions({ language: args.language as string | undefined, prompt: args.prompt as string | undefined, no_fallback: "true" });
    } catch (err) {
      if (isSonaError(err)) throw new UsageError(err.message.replace(`'${err.param}'`, `--${err.param}`));
      throw err;
    }
    const device = deviceFlags(args);
    if (typeof device === "string") throw new UsageError(device);
    const input = String(args.input ?? "-");
    const source = input === "-" ? Bun.stdin : Bun.file(input);
    if (input !== "-" && !(await source.exists())) throw new SonaError("invalid_request", `no such file: ${input}`);

    const vad = args["vad-model"] ? await resolveVadModel(String(args["vad-model"])) : embeddedVadModel();
    const engine = new WhisperEngine({ verbose: Boolean(args.verbose) });
    const model = await prepareModel(String(args.model));
    const out = createOutput(Boolean(args.json));
    try {
      await engine.load(model.path, device);
      const session = new LiveSession({
        engine,
        vadModelPath: vad.path,
        decode: { ...decode, vad: undefined },
        turns: { ...DEFAULT_TURN_OPTIONS, silenceMs: 600 },
        partialMode: mode,
        partialIntervalMs: interval,
        onEvent: out.event,
      });
      const reader = source.stream().getReader();
      const onInt = () => void reader.cancel().catch(() => {});
      process.once("SIGINT", onInt);
      try {
        await pump(reader, session, { bytes: FORMATS[format as keyof typeof FORMATS], rate, pace: Boolean(args.realtime) && input !== "-" });
        await session.finish();
      } finally {
        process.off("SIGINT", onInt);
        session.close();
        out.done();
      }
      if (out.failed) throw out.failed;
    } finally {
      await engine.close();
    }
  },
});

/** Bytes to 16 kHz samples into the session, waiting for it to keep up (so memory stays small). */
async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, session: LiveSession, o: { bytes: 2 | 4; rate: number; pace: boolean }) {
  const resampler = o.rate === 16000 ? undefined : new Resampler(o.rate);
  const feed = (x: Float32Array) => (resampler ? resampler.push(x, (b) => session.push(b)) : session.push(x));
  let rest = new Uint8Array(0);
  let sent = 0;
  const t0 = performance.now();
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || !value) break;
    const bytes = rest.length ? Buffer.concat([rest, value]) : value;
    const whole = bytes.length - (bytes.length % o.bytes);
    rest = bytes.slice(whole);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    const samples = new Float32Array(whole / o.bytes);
    for (let i = 0; i < samples.length; i++) samples[i] = o.bytes === 2 ? view.getInt16(i * 2, true) / 32768 : view.getFloat32(i * 4, true);
    feed(samples);
    sent += samples.length;
    await session.handled();
    if (o.pace) {
      const ahead = (sent / o.rate) * 1000 - (performance.now() - t0);
      if (ahead > 0) await Bun.sleep(ahead);
    }
  }
  resampler?.finish((b) => session.push(b));
}

/** Lines on stdout; the partial text as a status line on a TTY's stderr. */
function createOutput(json: boolean) {
  const status = !json && process.stderr.isTTY;
  let shown = false;
  let failed: SonaError | undefined;
  const clear = () => {
    if (shown) process.stderr.write("\r\x1b[2K");
    shown = false;
  };
  return {
    get failed() {
      return failed;
    },
    event(e: LiveEvent) {
      if (json) {
        const body = "error" in e ? { ...e, error: { code: e.error.code, message: e.error.message } } : e;
        process.stdout.write(`${JSON.stringify(body)}\n`);
        return;
      }
      if (e.type === "partial" && status) {
        const width = (process.stderr.columns || 80) - 1;
        process.stderr.write(`\r\x1b[2K${e.text.slice(-width)}`);
        shown = true;
      } else if (e.type === "utterance") {
        clear();
        if (e.text) process.stdout.write(`${e.text}\n`);
      } else if (e.type === "failed" || e.type === "error") {
        clear();
        process.stderr.write(`sona live: ${e.error.message}\n`);
        if (e.type === "error") failed = e.error;
      }
    },
    done: clear,
  };
}
