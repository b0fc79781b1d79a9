// `sona vad <audio>`: where the speech is, as JSON spans on stdout. Needs no whisper model: it runs
// the embedded Silero VAD (or --vad-model) through the same engine worker as a transcription.
import { defineCommand } from "citty";
import { WhisperEngine } from "../engine/index.ts";
import { isSonaError } from "../errors.ts";
import { speechJson } from "../format/speech.ts";
import { parseVadParams } from "../options.ts";
import { detectSpeechInFile } from "../transcribe.ts";
import { flagMessage, optionArgs, rawOptions, verboseArg } from "./args.ts";
import { UsageError } from "./usage.ts";

const isVadTunable = (spec: { field: string }) => spec.field.startsWith("vad_");

export default defineCommand({
  meta: {
    name: "vad",
    description: "Find the speech in an audio file (Silero VAD, embedded); JSON spans in seconds on stdout",
  },
  args: {
    audio: { type: "positional", description: "Audio or video file" },
    ...optionArgs(isVadTunable),
    output: { type: "string", alias: "o", description: "Write the JSON to this file instead of stdout" },
    ...verboseArg,
  },
  async run({ args }) {
    let vad;
    try {
      vad = parseVadParams(rawOptions(args, isVadTunable));
    } catch (err) {
      if (!isSonaError(err)) throw err;
      throw new UsageError(flagMessage(err));
    }
    const engine = new WhisperEngine({ verbose: Boolean(args.verbose) });
    try {
      const report = await detectSpeechInFile(engine, String(args.audio), vad);
      const body = `${JSON.stringify(speechJson(report))}\n`;
      if (args.output) await Bun.write(String(args.output), body);
      else process.stdout.write(body);
    } finally {
      await engine.close();
    }
  },
});
