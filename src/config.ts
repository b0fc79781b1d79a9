// Every environment variable Sona reads, with its meaning, in one place (as Ollama's
// envconfig/config.go): the code reads them only through `setting()`, test/config.test.ts checks
// that nothing under src/ reads a SONA_* variable any other way, and that the README's table lists
// each one. Build-time variables are read by scripts/ (whose text keys the native build cache, so
// they are not rewritten to import this); they are listed here all the same.
export type Env = Record<string, string | undefined>;

export interface EnvVar {
  meaning: string;
  /** runtime: sona itself; client: spawnSona and sonapy; build: scripts/ and npm test */
  kind: "runtime" | "client" | "build";
}

export const ENV_VARS = {
  SONA_MODELS_DIR: { kind: "runtime", meaning: "the models directory (default `$XDG_DATA_HOME/sona/models` or `~/.local/share/sona/models`)" },
  HF_ENDPOINT: { kind: "runtime", meaning: "Hugging Face mirror for `sona pull` (default `https://huggingface.co`)" },
  SONA_REGISTRY_FILE: { kind: "runtime", meaning: "a JSON file of `{name, url?, file?, size?, sha256?, sha1?}` entries that add to or override the model registry (mirrors, tests)" },
  SONA_PULL_RETRIES: { kind: "runtime", meaning: "transient download failures `sona pull` tolerates in a row (default 5)" },
  SONA_PULL_RETRY_BASE_MS: { kind: "runtime", meaning: "the first retry delay of `sona pull` in ms, doubled each time (default 1000)" },
  SONA_CPU_LEVEL: { kind: "runtime", meaning: "force a libwhisper build: `x86-64`, `avx2` or `avx512`; on arm64 `armv8.0` or `armv8.2-dotprod` (refused if the CPU lacks it)" },
  SONA_LIBWHISPER: { kind: "runtime", meaning: "load this libwhisper file instead of a bundled one" },
  SONA_NO_GPU: { kind: "runtime", meaning: "`1`: run on the CPU even when a GPU is usable (same as `--no-gpu` and the load route's `no_gpu`)" },
  SONA_GPU_DEVICE: { kind: "runtime", meaning: "the Vulkan device to run on, an index from `sona devices` (same as `--gpu-device`; a software device such as lavapipe is used only when named)" },
  SONA_FFMPEG_PATH: { kind: "runtime", meaning: "use this ffmpeg instead of the bundled one" },
  SONA_API_KEY: { kind: "runtime", meaning: "require `Authorization: Bearer <key>` on every route but `/health` (same as `--api-key`)" },
  SONA_ALLOWED_HOSTS: {
    kind: "runtime",
    meaning: "more host names `sona serve` answers to, comma-separated (a reverse proxy's public name; `.example.com` = any subdomain; same as `--allowed-host`). Other `Host` or `Origin` names get 403",
  },
  SONA_UNLOAD_TIMEOUT: { kind: "runtime", meaning: "unload an idle model after this long (`30s`, `5m`, `1h`; `0` = never; same as `--unload-timeout`)" },
  SONA_PARALLEL: { kind: "runtime", meaning: "transcriptions `sona serve` runs at once, over one copy of the weights (same as `--parallel`; default 1)" },
  SONA_QUEUE: { kind: "runtime", meaning: "transcriptions `sona serve` lets wait for a slot instead of answering 429 (same as `--queue`; default 0)" },
  SONA_MAX_AUDIO_DURATION: {
    kind: "runtime",
    meaning: "the longest audio `sona serve` and `sona transcribe` decode (`90m`, `12h`, or seconds; default `12h`; same as `--max-audio-duration`). Longer audio gets 413 `audio_too_long`, or exit 1",
  },
  SONA_PARENT_PID: { kind: "runtime", meaning: "the owner's pid: `sona serve` exits when that process exits (same as `--parent-pid`; the clients pass their own)" },
  SONA_DEBUG: { kind: "runtime", meaning: "print the stack trace of an unexpected CLI failure" },
  NO_COLOR: { kind: "runtime", meaning: "no colours in help and progress output" },
  SONA_BINARY: { kind: "client", meaning: "the `sona` executable `spawnSona()` and sonapy start (default `sona` on PATH)" },
  SONA_BUILD_CACHE: { kind: "build", meaning: "where native builds are cached (default `~/.cache/sona-build`)" },
  SONA_WHISPER_SRC: { kind: "build", meaning: "build libwhisper from this whisper.cpp tree instead of the pinned npm package" },
  SONA_DEBIAN_SECURITY_MIRROR: { kind: "build", meaning: "where `scripts/fetch-ffmpeg.ts` fetches Debian's ffmpeg source (default Debian's security archive)" },
  SONA_BUN_TARGET: { kind: "build", meaning: "the Bun runtime `npm run build` compiles for (default `bun-linux-x64-baseline`)" },
  SONA_DOWNLOAD_URL: { kind: "build", meaning: "where `scripts/install.sh` downloads the release from (`SHA256SUMS` and `sona-<os>-<arch>`; default the project's release location)" },
  SONA_INSTALL: { kind: "build", meaning: "`npm test`'s system packages: `auto` (default: install what is missing when root or passwordless sudo can), `never` (only say what to run)" },
} as const satisfies Record<string, EnvVar>;

export type EnvName = keyof typeof ENV_VARS;

/** The variable's value; an empty one counts as unset. */
export function setting(name: EnvName, env: Env = process.env): string | undefined {
  const value = env[name];
  return value === "" ? undefined : value;
}
