// CLI flags for transcription options, derived from the one schema in src/options.ts, and the
// few flags that several commands share.
import type { ArgsDef } from "citty";
import { setting } from "../config.ts";
import { OPTION_SPECS, type OptionSpec, type RawValue } from "../options.ts";
import { parseDuration } from "./units.ts";
import { UsageError } from "./usage.ts";

/** -v/--verbose, declared on each command that reads it (citty resolves aliases per command) */
export const verboseArg = {
  verbose: { type: "boolean", alias: "v", description: "Show whisper.cpp and ffmpeg logs on stderr" },
} as const satisfies ArgsDef;

const flagName = (field: string, flag?: string | false) => flag || field.replaceAll("_", "-");

// citty reads "--no-x" as "x = false", so a negative option is declared as its positive twin
const NEGATED: Record<string, string> = { no_fallback: "fallback" };

/** which options a command takes (`sona vad` takes only the VAD's) */
type OptionFilter = (spec: OptionSpec) => boolean;
const every: OptionFilter = () => true;

// Defaults are not given to citty: parseOptions applies them, and an absent flag stays undefined
// (an absent -f lets the -o extension choose the format). Help shows them (./help.ts).
export function optionArgs(pick: OptionFilter = every): ArgsDef {
  const args: ArgsDef = {};
  for (const spec of OPTION_SPECS) {
    if (spec.flag === false || !pick(spec)) continue;
    if (NEGATED[spec.field]) {
      args[NEGATED[spec.field]!] = { type: "boolean", negativeDescription: spec.description, description: "Temperature fallback on decoding failure", default: true };
      continue;
    }
    const common = { description: spec.description, ...(spec.alias ? { alias: spec.alias } : {}) };
    args[flagName(spec.field, spec.flag)] = spec.kind === "bool" ? { type: "boolean", ...common } : { type: "string", ...common };
  }
  return args;
}

/** The schema entry behind a CLI flag (for help: group, values, default). */
export function specForFlag(name: string): OptionSpec | undefined {
  return OPTION_SPECS.find((s) => s.flag !== false && (NEGATED[s.field] ?? flagName(s.field, s.flag)) === name);
}

/** The CLI spelling of a form field, for error messages ("n_threads" -> "--threads"). */
export function flagFor(field: string): string {
  const spec = OPTION_SPECS.find((s) => s.field === field);
  return spec?.flag === false ? field : `--${NEGATED[field] ? `no-${NEGATED[field]}` : flagName(field, spec?.flag)}`;
}

/** An option error's message with the field spelled as the flag ("'vad_threshold'" -> "--vad-threshold"). */
export function flagMessage(err: { message: string; param: string | null }): string {
  return err.param ? err.message.replace(`'${err.param}'`, flagFor(err.param)) : err.message;
}

/** Maps parsed CLI args back to form-field names for parseOptions(). */
export function rawOptions(args: Record<string, unknown>, pick: OptionFilter = every): Record<string, RawValue> {
  const raw: Record<string, RawValue> = {};
  for (const spec of OPTION_SPECS) {
    if (spec.flag === false || !pick(spec)) continue;
    const negated = NEGATED[spec.field];
    const value = args[negated ?? flagName(spec.field, spec.flag)];
    if (value === undefined) continue;
    raw[spec.field] = negated ? !value : (value as RawValue);
  }
  return raw;
}

/** --max-audio-duration, for the commands that decode files (serve, transcribe) */
export const maxAudioDurationArg = {
  "max-audio-duration": {
    type: "string",
    description: "Refuse audio longer than this (90m, 12h or seconds; default 12h; env SONA_MAX_AUDIO_DURATION): decoded audio costs 230 MB an hour",
  },
} as const satisfies ArgsDef;

/** The flag, else SONA_MAX_AUDIO_DURATION, in seconds; undefined leaves the default (12 h). */
export function readMaxAudioDuration(args: Record<string, unknown>): number | undefined {
  const flag = args["max-audio-duration"] as string | undefined;
  const text = flag ?? setting("SONA_MAX_AUDIO_DURATION");
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null || ms < 1000) {
    const source = flag === undefined ? "SONA_MAX_AUDIO_DURATION" : "--max-audio-duration";
    throw new UsageError(`invalid ${source} '${text}': expected a duration of at least 1 s, such as 90m or 12h, or a number of seconds`);
  }
  return ms / 1000;
}
