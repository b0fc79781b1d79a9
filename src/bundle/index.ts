// Hooks the files embedded in the compiled binary into the library, ffmpeg and VAD model lookups.
// Nothing is read or written here: each file is unpacked the first time something asks for it (so
// `--help` and `serve`'s ready line never touch the disk), then remembered for the rest of the process.
import { setBundledFfmpeg } from "../audio/ffmpeg.ts";
import { setLibrarySource } from "../engine/library.ts";
import { setVulkanSource } from "../gpu/library.ts";
import { SonaError } from "../errors.ts";
import { setEmbeddedVadModel } from "../vad/model.ts";
import { type EmbeddedFile, type EmbeddedManifest, MANIFEST } from "./assets.ts";
import { cacheDirs, materialize } from "./extract.ts";

export function registerEmbedded(manifest: EmbeddedManifest | null = MANIFEST): void {
  if (!manifest) return;
  const done = new Map<string, string>();
  const unpack = (f: EmbeddedFile): string => {
    let path = done.get(f.name);
    if (path) return path;
    try {
      path = materialize(f, cacheDirs(manifest.key));
    } catch (err) {
      throw new SonaError("internal_error", err instanceof Error ? err.message : String(err), { cause: err });
    }
    done.set(f.name, path);
    return path;
  };
  setLibrarySource({
    levels: Object.keys(manifest.libraries),
    path: (level) => unpack(manifest.libraries[level]!),
  });
  const vulkan = manifest.vulkan;
  if (vulkan) setVulkanSource(() => unpack(vulkan));
  const { vad, vadExtras } = manifest;
  if (vad) {
    setEmbeddedVadModel(() => {
      for (const extra of vadExtras) {
        try {
          unpack(extra);
        } catch {}
      }
      return unpack(vad);
    });
  }
  const ffmpeg = manifest.ffmpeg;
  if (ffmpeg) {
    setBundledFfmpeg(() => {
      const path = unpack(ffmpeg);
      // the LGPL text travels with the binary it covers; losing it must not stop a decode
      for (const extra of manifest.ffmpegExtras) {
        try {
          unpack(extra);
        } catch {}
      }
      return path;
    });
  }
}
