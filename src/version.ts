// Build identity. scripts/build.ts defines SONA_COMMIT for the compiled binary; dev runs ask git.
import pin from "../.whisper.cpp-commit" with { type: "text" };
import pkg from "../package.json" with { type: "json" };

declare const SONA_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
/** e.g. "v1.9.1" */
export const WHISPER_VERSION: string = pin.trim().split(/\s+/)[0] ?? "unknown";

let commit: string | undefined;
export function getCommit(): string {
  if (commit) return commit;
  if (typeof SONA_COMMIT === "string") return (commit = SONA_COMMIT);
  const git = Bun.spawnSync(["git", "rev-parse", "--short=8", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
  return (commit = git.exitCode === 0 ? git.stdout.toString().trim() : "dev");
}
