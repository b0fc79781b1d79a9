// `--help`, rendered here rather than by citty: wrapped to the terminal's width (80 columns off a
// terminal, or $COLUMNS), options grouped by the schema's `group`, a boolean that defaults to on
// shown once as its --no- form, and examples and environment variables as data beside them.
import type { ArgDef, ArgsDef, CommandDef } from "citty";
import type { OptionGroup } from "../options.ts";
import { VERSION } from "../version.ts";
import { specForFlag } from "./args.ts";

const EXAMPLES: Record<string, string[]> = {
  sona: [
    "sona pull base.en",
    "sona transcribe base.en meeting.wav -o meeting.srt",
    "sona serve base.en --port 0",
  ],
  transcribe: [
    "sona transcribe base.en meeting.wav",
    "sona transcribe base.en talk.mp3 -o talk.srt        # srt, from the extension",
    "sona transcribe base.en talk.mp3 -f srt,vtt -o talk  # talk.srt and talk.vtt",
    "sona transcribe base.en *.m4a -f srt -o subtitles/   # one file per input",
    "cat talk.mp3 | sona transcribe base.en - -f text",
    "sona transcribe tiny interview.m4a -l de --translate -f verbose_json",
    "sona transcribe base.en lecture.mp4 --stable-timestamps -f srt  # speech only",
    "sona transcribe base.en call.wav --diarize -f verbose_json     # stereo speakers",
  ],
  vad: [
    "sona vad meeting.wav",
    "sona vad call.mp3 --vad-threshold 0.6 --vad-min-silence-duration-ms 500",
    "sona vad talk.m4a --vad-model ~/models/ggml-silero-v5.1.2.bin -o spans.json",
  ],
  live: [
    "ffmpeg -f pulse -i default -ac 1 -ar 16000 -f s16le - | sona live base.en",
    "sona live tiny.en talk.f32 --input-format f32le --realtime",
    "arecord -f S16_LE -r 16000 -c 1 | sona live base.en --json",
  ],
  serve: [
    "sona serve base.en --port 0",
    "sona serve ~/models/ggml-small.bin --port 8080 --unload-timeout 5m",
    "sona serve base.en --port 8443 --tls-cert cert.pem --tls-key key.pem",
  ],
  pull: [
    "sona pull base.en",
    "sona pull large-v3-turbo-q5_0 -o ~/models",
    "sona pull https://example.org/ggml-custom.bin",
    "HF_ENDPOINT=https://hf-mirror.com sona pull small",
  ],
  models: ["sona models", "sona models --available", "sona models --json", "sona models rm tiny"],
  info: ["sona info", "sona --version"],
  devices: ["sona devices", "sona transcribe base.en talk.wav --gpu-device 1", "sona serve base.en --no-gpu"],
};

const NOTES: Record<string, string[]> = {
  transcribe: [
    "Results go to stdout (text, srt and vtt segment by segment as they are decoded), or to -o.",
    "Ctrl-C writes what was decoded so far and says the transcript is partial (exit 130; SIGTERM 143).",
  ],
  serve: ['Prints one line to stdout once listening: {"commit":...,"port":N,"status":"ready","version":...}'],
};

/** Every environment variable Sona reads (README.md has the same table). */
export const ENVIRONMENT: [string, string][] = [
  ["SONA_MODELS_DIR", "the models directory (default $XDG_DATA_HOME/sona/models or ~/.local/share/sona/models)"],
  ["HF_ENDPOINT", "Hugging Face mirror for sona pull (default https://huggingface.co)"],
  ["SONA_API_KEY", "require Authorization: Bearer <key> on sona serve (same as --api-key)"],
  ["SONA_UNLOAD_TIMEOUT", "unload an idle model after this long (30s, 5m, 1h; 0 = never)"],
  ["SONA_MAX_AUDIO_DURATION", "refuse audio longer than this (90m, 12h, seconds; default 12h)"],
  ["SONA_CPU_LEVEL", "force a libwhisper build: x86-64, avx2 or avx512"],
  ["SONA_LIBWHISPER", "load this libwhisper file instead of a bundled one"],
  ["SONA_NO_GPU", "1: run on the CPU even when a GPU is usable (same as --no-gpu)"],
  ["SONA_GPU_DEVICE", "the Vulkan device to run on, an index from sona devices (same as --gpu-device)"],
  ["SONA_FFMPEG_PATH", "use this ffmpeg instead of the bundled one"],
  ["SONA_DEBUG", "print stack traces of unexpected errors"],
  ["NO_COLOR", "no colours in help and progress output"],
];

const GROUP_TITLES: Record<OptionGroup | "command", string> = {
  command: "Options",
  output: "Output",
  decoding: "Decoding",
  vad: "Voice activity detection",
  advanced: "Advanced",
};

/** "--no-exit-with-parent" and friends: what the negative form of a default-on boolean does */
const NEGATIVE: Record<string, string> = {
  "exit-with-parent": "Keep running when the process that started sona exits (by default sona exits with it, so an owner that dies leaves no server behind)",
};

export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const cols = stream.isTTY && stream.columns ? stream.columns : Number(process.env.COLUMNS) || 80;
  return Math.max(40, Math.min(cols, 120));
}

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

/** Two columns: the term, then its text wrapped beside it (or below it when the term is long). */
function table(rows: [string, string][], width: number, termWidth = columnWidth(rows, width)): string[] {
  const textWidth = Math.max(20, width - termWidth - 4);
  const out: string[] = [];
  for (const [term, text] of rows) {
    const lines = wrap(text, textWidth);
    const pad = " ".repeat(termWidth + 4);
    if (term.length > termWidth) out.push(`  ${term}`, ...lines.map((l) => pad + l));
    else out.push(`  ${term.padEnd(termWidth)}  ${lines[0]}`, ...lines.slice(1).map((l) => pad + l));
  }
  return out;
}

function columnWidth(rows: [string, string][], width: number): number {
  return Math.min(Math.max(...rows.map(([t]) => t.length)), Math.floor(width * 0.4), 30);
}

async function resolveValue<T>(v: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

function flagRow(name: string, def: ArgDef): [string, string] {
  const alias = "alias" in def && def.alias ? [def.alias].flat()[0] : undefined;
  const spec = specForFlag(name);
  if (def.type === "boolean" && def.default === true) {
    return [`    --no-${name}`, (def as { negativeDescription?: string }).negativeDescription ?? NEGATIVE[name] ?? `Turn off ${name}`];
  }
  let value = "";
  let values = "";
  if (def.type !== "boolean") value = spec?.values ? ` <${spec.values.join("|")}>` : ` <${spec?.kind === "int" || spec?.kind === "float" ? "n" : "value"}>`;
  // a long list of values goes into the description, where it wraps: the flag column cannot
  if (value.length > 32) [value, values] = [" <value>", `: ${spec!.values!.join(", ")}`];
  const dflt = "default" in def && def.default !== undefined ? def.default : spec?.default;
  const described = /\(default/.test(def.description ?? "");
  const shownDefault = dflt !== undefined && dflt !== false && def.type !== "boolean" && !described ? ` (default: ${dflt})` : "";
  return [`${alias ? `-${alias}, ` : "    "}--${name}${value}`, `${def.description ?? ""}${values}${shownDefault}`];
}

export async function renderHelp(cmd: CommandDef<ArgsDef>, parent: CommandDef<ArgsDef> | undefined, width = terminalWidth()): Promise<string> {
  const meta = (await resolveValue(cmd.meta)) ?? {};
  const parentMeta = parent ? ((await resolveValue(parent.meta)) ?? {}) : undefined;
  const name = meta.name ?? "sona";
  const path = parentMeta?.name && parentMeta.name !== "sona" ? `sona ${parentMeta.name} ${name}` : parentMeta ? `sona ${name}` : "sona";
  const args = ((await resolveValue(cmd.args)) ?? {}) as ArgsDef;
  const subs = (await resolveValue(cmd.subCommands)) as Record<string, unknown> | undefined;
  const out: string[] = [];
  const positionals = Object.entries(args).filter(([, d]) => d.type === "positional");
  const usage = positionals.map(([n, d]) => {
    const label = n.toUpperCase() + (name === "transcribe" && n === "audio" ? "..." : "");
    return d.required === false ? `[${label}]` : label;
  });
  out.push(`Usage: ${[path, subs ? "<command>" : "", "[options]", ...usage].filter(Boolean).join(" ")}`, "");
  out.push(...wrap(name === "sona" ? `${meta.description} (version ${VERSION})` : (meta.description ?? ""), width), "");
  for (const line of NOTES[name] ?? []) out.push(...wrap(line, width));
  if (NOTES[name]) out.push("");
  if (subs) {
    const rows: [string, string][] = [];
    for (const [sub, load] of Object.entries(subs)) {
      const def = (await resolveValue(load as CommandDef<ArgsDef>)) as CommandDef<ArgsDef>;
      rows.push([sub, ((await resolveValue(def.meta))?.description ?? "").split("\n")[0]!]);
    }
    out.push("Commands:", ...table(rows, width), "");
  }
  if (positionals.length) {
    out.push("Arguments:", ...table(positionals.map(([n, d]) => [n.toUpperCase(), d.description ?? ""]), width), "");
  }
  const groups = new Map<string, [string, string][]>();
  for (const [n, d] of Object.entries(args)) {
    if (d.type === "positional") continue;
    const group = name === "transcribe" ? (specForFlag(n)?.group ?? (n === "output" ? "output" : "advanced")) : "command";
    groups.set(group, [...(groups.get(group) ?? []), flagRow(n, d)]);
  }
  groups.set(groups.has("advanced") ? "advanced" : "command", [...(groups.get("advanced") ?? groups.get("command") ?? []), ["-h, --help", "Show this help"]]);
  const termWidth = columnWidth([...groups.values()].flat(), width); // one column across the groups
  for (const key of ["command", "output", "decoding", "vad", "advanced"] as const) {
    const rows = groups.get(key);
    if (rows?.length) out.push(`${GROUP_TITLES[key]}${key === "command" ? "" : " options"}:`, ...table(rows, width, termWidth), "");
  }
  const examples = EXAMPLES[parentMeta?.name === "models" ? "models" : name] ?? [];
  if (examples.length) out.push("Examples:", ...examples.map((e) => `  ${e}`), "");
  if (name === "sona") {
    out.push("Environment:", ...table(ENVIRONMENT, width), "");
    out.push(...wrap("Run 'sona <command> --help' for a command's options. Exit codes: 0 success, 1 failure, 2 usage error.", width));
  }
  return out.join("\n").replace(/\n+$/, "") + "\n";
}
