// Where `sona transcribe` writes: which formats, which files. Everything here is decided and
// checked before the model loads, so a typo in -o or an unwritable directory fails at once and not
// after an hour of transcription.
// - `-f` takes one format or several (`-f srt,vtt,json`); without it the -o extension decides
//   (talk.srt -> srt), else json.
// - no -o: stdout, one format. -o FILE: that file for one format; for several, FILE without its
//   extension is a base (`-o talk` -> talk.srt, talk.vtt). -o DIR (an existing directory, or a
//   path ending in "/"): DIR/<input name>.<ext> for every input and format.
import { accessSync, constants, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { SonaError } from "../errors.ts";
import { isResponseFormat, RESPONSE_FORMATS, type ResponseFormat } from "../format/index.ts";
import { UsageError } from "./usage.ts";

export const EXTENSIONS: Record<ResponseFormat, string> = { json: ".json", verbose_json: ".json", diarized_json: ".json", text: ".txt", srt: ".srt", vtt: ".vtt" };
const BY_EXTENSION: Record<string, ResponseFormat> = { ".json": "json", ".txt": "text", ".srt": "srt", ".vtt": "vtt" };

export interface Target {
  format: ResponseFormat;
  /** null: stdout */
  path: string | null;
}

/** The formats of `-f a,b` (undefined: not given). */
export function parseFormats(value: string | undefined): ResponseFormat[] | undefined {
  if (value === undefined) return undefined;
  const formats = [...new Set(value.split(",").map((f) => f.trim()).filter(Boolean))];
  if (formats.length === 0) throw new UsageError("invalid --format '': expected one or more of " + RESPONSE_FORMATS.join(", "));
  for (const f of formats) {
    if (!isResponseFormat(f)) throw new UsageError(`invalid --format: '${f}' is not one of ${RESPONSE_FORMATS.join(", ")}`);
  }
  return formats as ResponseFormat[];
}

/** One list of targets per input, in input order. */
export function planTargets(inputs: string[], formats: ResponseFormat[] | undefined, output: string | undefined): Target[][] {
  const dir = output !== undefined && (output.endsWith("/") || isDirectory(output));
  formats ??= [(output !== undefined && !dir && BY_EXTENSION[extname(output).toLowerCase()]) || "json"];
  if (formats.includes("json") && formats.includes("verbose_json") && output !== undefined) {
    throw new UsageError("json and verbose_json would both be written to a .json file: ask for one of them");
  }
  if (output === undefined) {
    if (formats.length > 1) throw new UsageError(`several formats (${formats.join(", ")}) need -o BASE or -o DIR`);
    return inputs.map(() => [{ format: formats[0]!, path: null }]);
  }
  if (!dir) {
    if (inputs.length > 1) throw new UsageError(`${inputs.length} input files need -o DIR (an existing directory), not a file name`);
    if (formats.length === 1) return [[{ format: formats[0]!, path: output }]];
    const base = BY_EXTENSION[extname(output).toLowerCase()] ? output.slice(0, -extname(output).length) : output;
    return [formats.map((format) => ({ format, path: base + EXTENSIONS[format] }))];
  }
  const seen = new Map<string, string>();
  return inputs.map((input) => {
    const name = input === "-" || input.startsWith("/dev/") || input.startsWith("/proc/") ? "stdin" : basename(input, extname(input));
    return formats.map((format) => {
      const path = join(output, name + EXTENSIONS[format]);
      const other = seen.get(path);
      if (other !== undefined && other !== input) throw new UsageError(`${other} and ${input} would both be written to ${path}`);
      seen.set(path, input);
      return { format, path };
    });
  });
}

/** Fails now, in a sentence, if a target cannot be written later. */
export function checkWritable(path: string): void {
  const parent = dirname(resolve(path));
  let stat;
  try {
    stat = statSync(path);
  } catch {
    // does not exist yet: its directory must
  }
  if (stat?.isDirectory()) throw cannotWrite(path, "it is a directory");
  if (!isDirectory(parent)) throw cannotWrite(path, `the directory ${parent} does not exist`);
  try {
    accessSync(stat ? path : parent, constants.W_OK);
  } catch {
    throw cannotWrite(path, stat ? "permission denied" : `permission denied in ${parent}`);
  }
}

/** Writes one result, ending in a newline as stdout does; errors become sentences. */
export async function writeTarget(path: string, body: string): Promise<void> {
  try {
    await Bun.write(path, body.endsWith("\n") ? body : `${body}\n`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why: Record<string, string> = { EACCES: "permission denied", ENOSPC: "the disk is full", EISDIR: "it is a directory", ENOENT: "its directory does not exist", EROFS: "the file system is read-only", EDQUOT: "the disk quota is exceeded" };
    throw cannotWrite(path, (code && why[code]) ?? (e instanceof Error ? e.message : String(e)));
  }
}

function cannotWrite(path: string, why: string): SonaError {
  return new SonaError("invalid_request", `cannot write ${path}: ${why}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
