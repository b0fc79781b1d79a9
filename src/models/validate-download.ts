// A model downloaded from a URL has no published checksum: before it is kept, it must at least be
// a file whisper.cpp can use, a whisper model or a Silero VAD model in whisper.cpp's format (an
// HTML error page or a truncated file is deleted instead of ending up in the models directory).
import { open } from "node:fs/promises";
import { GGML_MAGIC, validateModelFile } from "./validate.ts";

export type DownloadedKind = "whisper" | "vad";

export async function validateDownloadedModel(path: string): Promise<DownloadedKind> {
  try {
    await validateModelFile(path);
    return "whisper";
  } catch (err) {
    if (await looksLikeVad(path)) return "vad";
    throw err;
  }
}

/**
 * whisper.cpp's VAD files start with the ggml magic and the model type as a length-prefixed string
 * ("silero-16k"). A full check of a VAD file's tensors belongs to the VAD loader's own validator.
 */
async function looksLikeVad(path: string): Promise<boolean> {
  const fh = await open(path, "r").catch(() => null);
  if (!fh) return false;
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await fh.read(head, 0, 64, 0);
    if (bytesRead < 8) return false;
    const view = new DataView(head.buffer);
    if (view.getUint32(0, true) !== GGML_MAGIC) return false;
    const len = view.getUint32(4, true);
    if (len < 1 || len > 32 || 8 + len > bytesRead) return false;
    return /^silero/.test(new TextDecoder().decode(head.subarray(8, 8 + len)));
  } finally {
    await fh.close();
  }
}

