// Which Silero file a request runs. Sona carries one (vendor/silero-vad, embedded in the compiled
// binary), so VAD works offline with nothing downloaded; `vad_model` may name any other Silero ggml
// file by path or by its name in the models directory, and every file is validated first.
import { fileURLToPath } from "node:url";
import { SonaError } from "../errors.ts";
import { resolveModelPath } from "../models/resolve.ts";
import { validateVadFile } from "../models/validate-vad.ts";

/** The embedded model: build-time and test-time checks hold the vendored file to these. */
export const EMBEDDED_VAD = {
  name: "silero-v6.2.0",
  file: "ggml-silero-v6.2.0.bin",
  size: 885098,
  sha256: "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987",
} as const;

/** the vendored copy in a checkout */
export const VENDORED_VAD_PATH = fileURLToPath(new URL(`../../vendor/silero-vad/${EMBEDDED_VAD.file}`, import.meta.url));

let embeddedPath: () => string = () => VENDORED_VAD_PATH;

/** The compiled binary unpacks its copy on first use (src/bundle). */
export function setEmbeddedVadModel(path: () => string): void {
  embeddedPath = path;
}

export interface VadModel {
  path: string;
  /** "silero-v6.2.0" for the embedded model, else the file as given */
  name: string;
  embedded: boolean;
}

export function embeddedVadModel(): VadModel {
  return { path: embeddedPath(), name: EMBEDDED_VAD.name, embedded: true };
}

/** A vad_model value (absent: the embedded model) -> a checked Silero file. */
export async function resolveVadModel(value?: string): Promise<VadModel> {
  const given = value?.trim();
  if (!given || given === EMBEDDED_VAD.name) return embeddedVadModel();
  let path: string;
  try {
    path = await resolveModelPath(given);
  } catch (err) {
    if (err instanceof SonaError) throw new SonaError(err.code, err.message.replace(/^model/, "VAD model"), { param: "vad_model", cause: err });
    throw err;
  }
  await validateVadFile(path);
  return { path, name: given, embedded: false };
}
