// What the compiled binary carries besides its code. In dev this stub says "nothing embedded";
// scripts/build.ts swaps this module for src/bundle/assets.generated.ts (written at build time,
// git-ignored) through a bundler plugin, so a dev checkout never needs the generated file.

export interface EmbeddedFile {
  /** file name in the cache dir (the libraries need their real names: the level is in them) */
  name: string;
  /** its zstd-compressed copy inside the binary (/$bunfs/...), from `import ... with { type: "file" }` */
  path: string;
  /** size and sha256 of the file itself, not of the compressed copy */
  size: number;
  sha256: string;
  executable: boolean;
}

export interface EmbeddedManifest {
  /** cache subdirectory: the sona version plus a hash of every embedded file's hash */
  key: string;
  libraries: Record<string, EmbeddedFile>;
  /** libsona-whisper-vulkan.so (src/gpu), unpacked only when a GPU is wanted */
  vulkan: EmbeddedFile | null;
  ffmpeg: EmbeddedFile | null;
  /** files extracted alongside ffmpeg (its license text) */
  ffmpegExtras: EmbeddedFile[];
  /** the Silero VAD model used when no vad_model is given, and its license text */
  vad: EmbeddedFile | null;
  vadExtras: EmbeddedFile[];
}

export const MANIFEST: EmbeddedManifest | null = null;
