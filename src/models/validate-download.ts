// A model downloaded from a URL has no published checksum: before it is kept, it must at least be
// a file whisper.cpp can use, a whisper model or a Silero VAD model in whisper.cpp's format (an
// HTML error page or a truncated file is deleted instead of ending up in the models directory).
import { open } from "node:fs/promises";
import { ggmlKind, validateModelFile } from "./validate.ts";
import { validateVadFile } from "./validate-vad.ts";

export type DownloadedKind = "whisper" | "vad";

export async function validateDownloadedModel(path: string): Promise<DownloadedKind> {
  if (ggmlKind(await head(path)) === "vad") {
    await validateVadFile(path);
    return "vad";
  }
  await validateModelFile(path);
  return "whisper";
}

async function head(path: string): Promise<Uint8Array> {
  const fh = await open(path, "r").catch(() => null);
  if (!fh) return new Uint8Array(0);
  try {
    const bytes = new Uint8Array(16);
    const { bytesRead } = await fh.read(bytes, 0, 16, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
