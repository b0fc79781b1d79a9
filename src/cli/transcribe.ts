// `sona transcribe <model> <audio>...`: one-shot transcription of one file or several in turn
// (the model loads once). Results go to stdout or -o (./outputs.ts); text, srt and vtt on stdout
// are printed segment by segment as they are decoded. Ctrl-C or SIGTERM stops the run, writes what
// was decoded so far and says that it is partial (exit 130 or 143). A failed file is reported and
// the others still run; the exit code is then 1.
import { defineCommand } from "citty";
import { isSonaError } from "../errors.ts";
import { WhisperEngine, type Segment, type TranscriptResult } from "../engine/index.ts";
import { formatResult, type ResponseFormat } from "../format/index.ts";
import { createLiveRenderer, isLiveFormat, type LiveRenderer } from "../format/live.ts";
import { prepareModel } from "../models/index.ts";
import { parseOptions, type TranscribeOptions } from "../options.ts";
import { transcribeFile } from "../transcribe.ts";
import { deviceFlags, gpuArgs } from "../gpu/args.ts";
import { flagMessage, maxAudioDurationArg, optionArgs, rawOptions, readMaxAudioDuration, verboseArg } from "./args.ts";
import { checkWritable, parseFormats, planTargets, writeTarget, type Target } from "./outputs.ts";
import { createProgress, formatDuration } from "./progress.ts";
import { writeStdout } from "./stdout.ts";
import { UsageError } from "./usage.ts";

export default defineCommand({
  meta: {
    name: "transcribe",
    description: "Transcribe audio or video files (several in turn; '-' reads standard input)",
  },
  args: {
    model: { type: "positional", description: "Model file or name (see: sona models, sona pull)" },
    audio: { type: "positional", description: "Audio or video files, '-' for standard input (WAV natively; anything else through ffmpeg)" },
    ...optionArgs(),
    format: { type: "string", alias: "f", description: "Output format, or several comma-separated with -o (default: from the -o extension, else json)" },
    output: { type: "string", alias: "o", description: "Write to this file, or to DIR/<name>.<ext> for an existing directory; with several formats, a base name (-o talk: talk.srt, talk.vtt)" },
    ...maxAudioDurationArg,
    ...gpuArgs,
    ...verboseArg,
  },
  async run({ args }) {
    const inputs = (args._ as string[]).slice(1);
    const formats = parseFormats(args.format as string | undefined);
    let options: TranscribeOptions;
    try {
      options = parseOptions({ ...rawOptions(args), response_format: formats?.[0] });
    } catch (err) {
      if (!isSonaError(err)) throw err;
      throw new UsageError(flagMessage(err));
    }
    const maxAudioDurationSec = readMaxAudioDuration(args);
    const device = deviceFlags(args);
    if (typeof device === "string") throw new UsageError(device);
    if (inputs.filter((i) => i === "-").length > 1) throw new UsageError("standard input ('-') can be read only once");
    const plans = planTargets(inputs, formats, args.output as string | undefined);
    for (const t of plans.flat()) if (t.path !== null) checkWritable(t.path);

    const stop = watchSignals();
    const engine = new WhisperEngine({ verbose: Boolean(args.verbose) });
    let loadError: unknown;
    let started = false;
    try {
      const model = await prepareModel(String(args.model));
      const loading = engine.load(model.path, device);
      loading.catch((e) => (loadError = e)); // awaited after the audio is decoded; never unhandled
      let failed = 0;
      for (const [i, input] of inputs.entries()) {
        if (stop.signal.aborted) break;
        started = true;
        try {
          await transcribeOne(engine, input, options, plans[i]!, { loading, signal: stop.signal, label: inputs.length > 1 ? input : undefined, maxAudioDurationSec });
        } catch (err) {
          if (inputs.length === 1 || err === loadError || stop.signal.aborted || !isSonaError(err)) throw err;
          process.stderr.write(`sona: error: ${input}: ${err.message.split("\n")[0]}\n`);
          failed++;
        }
      }
      if (failed) {
        process.stderr.write(`sona: ${failed} of ${inputs.length} files failed\n`);
        process.exitCode = 1;
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    } finally {
      await engine.close();
      stop.dispose();
    }
    if (stop.signal.aborted) {
      if (!started) process.stderr.write("sona: interrupted before anything was transcribed\n");
      process.exitCode = stop.exitCode;
    }
  },
});

interface RunContext {
  loading: Promise<unknown>;
  signal: AbortSignal;
  /** the input's name when there are several */
  label?: string;
  maxAudioDurationSec?: number;
}

async function transcribeOne(engine: WhisperEngine, input: string, options: TranscribeOptions, targets: Target[], ctx: RunContext): Promise<void> {
  const started = performance.now();
  const tty = Boolean(process.stderr.isTTY);
  const stdoutFormat = targets.find((t) => t.path === null)?.format;
  const live: LiveRenderer | undefined = stdoutFormat && isLiveFormat(stdoutFormat) ? createLiveRenderer(stdoutFormat) : undefined;
  // segments printed to the same terminal are the progress; a bar there would redraw over them
  const sameTerminal = live !== undefined && tty && Boolean(process.stdout.isTTY);
  const progress = createProgress({ label: ctx.label ? `transcribing ${ctx.label}` : "transcribing", total: 100, unit: "%", stream: sameTerminal ? { write: () => true } : undefined });
  const decoded: Segment[] = [];
  let durationSec = 0;
  let result: TranscriptResult;
  try {
    result = await transcribeFile(engine, input, options, {
      modelReady: ctx.loading,
      signal: ctx.signal,
      maxAudioDurationSec: ctx.maxAudioDurationSec,
      onAudio: (audio) => {
        durationSec = audio.durationSec;
        for (const w of audio.warnings) progress.log(`sona: warning: ${ctx.label ? `${ctx.label}: ` : ""}${w}`);
      },
      onEvent: (e) => {
        if (e.type === "progress") progress.update(e.progress);
        else {
          decoded.push(e.segment);
          if (live) progress.around(() => writeStdout(live.push(e.segment)));
        }
      },
    });
  } catch (err) {
    progress.abort();
    if (!ctx.signal.aborted) throw err;
    // stopped by a signal: what was decoded is the result, and it says so
    const partial: TranscriptResult = {
      task: options.translate ? "translate" : "transcribe",
      language: options.language ?? "unknown",
      duration: durationSec,
      segments: decoded,
      temperature: options.temperature,
      timings: { inferenceMs: 0 },
    };
    await writeResults(partial, options, targets, live);
    const upTo = decoded.length ? formatDuration(decoded.at(-1)!.t1 / 100) : "0s";
    process.stderr.write(`sona: interrupted: the transcript${ctx.label ? ` of ${ctx.label}` : ""} is partial (up to ${upTo} of ${formatDuration(durationSec)})\n`);
    return;
  }
  progress.done();
  await writeResults(result, options, targets, live);
  if (tty) {
    const took = (performance.now() - started) / 1000;
    const speed = took > 0 ? ` (${(result.duration / took).toFixed(1)}x real time)` : "";
    process.stderr.write(`${ctx.label ? `${ctx.label}: ` : ""}${formatDuration(result.duration)} of audio in ${formatDuration(took)}${speed}\n`);
  }
}

async function writeResults(result: TranscriptResult, options: TranscribeOptions, targets: Target[], live?: LiveRenderer): Promise<void> {
  for (const t of targets) {
    if (t.path === null && live) {
      writeStdout(live.end());
      continue;
    }
    const { body } = formatResult(result, t.format as ResponseFormat, { words: options.words, segments: options.segments });
    if (t.path === null) writeStdout(body.endsWith("\n") ? body : `${body}\n`);
    else await writeTarget(t.path, body);
  }
}

/** SIGINT/SIGTERM abort the run; a second signal gets the signal's default action (it ends at once). */
function watchSignals() {
  const controller = new AbortController();
  const state = { signal: controller.signal, exitCode: 0, dispose: () => {} };
  const on = (code: number) => () => {
    state.exitCode = code;
    state.dispose();
    controller.abort();
  };
  const onInt = on(130);
  const onTerm = on(143);
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  state.dispose = () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
  return state;
}
