// `sona transcribe <model> <audio>`: one-shot transcription; the result goes to stdout (or -o).
import { defineCommand } from "citty";
import { isSonaError } from "../errors.ts";
import { WhisperEngine } from "../engine/index.ts";
import { formatResult } from "../format/index.ts";
import { prepareModel } from "../models/index.ts";
import { parseOptions } from "../options.ts";
import { transcribeFile } from "../transcribe.ts";
import { flagFor, optionArgs, rawOptions, verboseArg } from "./args.ts";
import { createProgress } from "./progress.ts";
import { UsageError } from "./usage.ts";

export default defineCommand({
  meta: {
    name: "transcribe",
    description: [
      "Transcribe an audio or video file.",
      "",
      "Examples:",
      "  sona transcribe base.en meeting.wav",
      "  sona transcribe ~/models/ggml-small.bin talk.mp3 -f srt -o talk.srt",
      "  sona transcribe tiny interview.m4a --language de --translate -f verbose_json --word-timestamps",
    ].join("\n"),
  },
  args: {
    model: { type: "positional", description: "Model file or name (see: sona models, sona pull)" },
    audio: { type: "positional", description: "Audio or video file (WAV natively; anything else through ffmpeg)" },
    ...optionArgs(),
    output: { type: "string", alias: "o", description: "Write the result to this file instead of stdout" },
    ...verboseArg,
  },
  async run({ args }) {
    let options;
    try {
      options = parseOptions(rawOptions(args));
    } catch (err) {
      if (!isSonaError(err)) throw err;
      throw new UsageError(err.param ? err.message.replace(`'${err.param}'`, flagFor(err.param)) : err.message);
    }
    const engine = new WhisperEngine({ verbose: Boolean(args.verbose) });
    const model = await prepareModel(String(args.model));
    const loading = engine.load(model.path);
    loading.catch(() => {}); // awaited after the audio is decoded; never an unhandled rejection
    const progress = process.stderr.isTTY ? createProgress({ label: "transcribing", total: 100, unit: "%" }) : undefined;
    try {
      const result = await transcribeFile(engine, String(args.audio), options, {
        modelReady: loading,
        onEvent: (e) => e.type === "progress" && progress?.update(e.progress),
      });
      progress?.done();
      const { body } = formatResult(result, options.responseFormat, { words: options.words, segments: options.segments });
      if (args.output) await Bun.write(String(args.output), body);
      else process.stdout.write(body.endsWith("\n") ? body : `${body}\n`);
    } finally {
      progress?.done();
      await loading.catch(() => {});
      await engine.close();
    }
  },
});
