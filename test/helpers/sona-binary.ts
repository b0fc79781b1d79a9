// The sona executable the client tests run: $SONA_BINARY, else the compiled dist/sona, else a
// wrapper script that execs `bun src/main.ts` (before packaging has run). `kind` says which.
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");

/** A temp dir for wrappers and fixtures (removed by the caller's afterAll if it likes). */
export const scratch = mkdtempSync(join(tmpdir(), "sona-client-test-"));

export function script(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

function pick(): { binary: string; kind: string } {
  const env = process.env.SONA_BINARY;
  if (env) return { binary: env, kind: `SONA_BINARY=${env}` };
  const dist = join(ROOT, "dist", "sona");
  if (existsSync(dist)) return { binary: dist, kind: `compiled binary ${dist}` };
  const main = join(ROOT, "src", "main.ts");
  return { binary: script("sona", `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`), kind: `dev wrapper: bun ${main} (dist/sona not built)` };
}

export const { binary: SONA, kind: SONA_KIND } = pick();

/** sonapy's stand-in server (sonapy/tests/fake_sona.py), for failures on demand; null without python3. */
export const FAKE_SONA: string | null = Bun.which("python3")
  ? script("fake-sona", `#!/bin/sh\nexec python3 "${join(ROOT, "sonapy", "tests", "fake_sona.py")}" "$@"\n`)
  : null;
