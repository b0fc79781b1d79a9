// sonapy's unittest suite, run by `bun test` so CI runs it against the same sona binary as the
// client tests (dist/sona once built; see helpers/sona-binary.ts). Equivalent by hand:
//   SONA_BINARY=dist/sona python3 -m unittest discover -s sonapy/tests -v
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT, SONA, SONA_KIND } from "./helpers/sona-binary.ts";

test.skipIf(!Bun.which("python3"))("sonapy: python3 -m unittest against the real server", () => {
  console.error(`sonapy tests: sona = ${SONA_KIND}`);
  const run = Bun.spawnSync(["python3", "-m", "unittest", "discover", "-s", join(ROOT, "sonapy", "tests"), "-v"], {
    cwd: ROOT,
    env: { ...process.env, SONA_BINARY: SONA, PYTHONDONTWRITEBYTECODE: "1" },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 600_000,
  });
  const out = run.stderr.toString() + run.stdout.toString();
  if (run.exitCode !== 0) console.error(out);
  expect(out).not.toContain("skipped 'needs a sona binary");
  expect(out).toMatch(/\nOK\b/);
  expect(run.exitCode).toBe(0);
});
