// The scripts in examples/ run as written (synthetic model, generated audio) and end cleanly.
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, SONA } from "./helpers/sona-binary.ts";

const env = { ...process.env, SONA_BINARY: SONA, BUN: process.execPath, PYTHONDONTWRITEBYTECODE: "1" };

function run(cmd: string[]) {
  const r = Bun.spawnSync(cmd, { cwd: ROOT, env, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

function expectTour(r: ReturnType<typeof run>) {
  if (r.code !== 0) console.error(r.out, r.err);
  expect(r.code).toBe(0);
  expect(r.err).toContain("meaningless");
  expect(r.out).toMatch(/status['"]?:\s*['"]ready/); // the ready line, however each language prints it
  expect(r.out).toMatch(/result/);
  expect(r.out).toMatch(/code['"]?[=:]\s*"?invalid_request/);
}

test.skipIf(!Bun.which("python3"))("examples/python.py", () => expectTour(run(["python3", join(ROOT, "examples/python.py")])));

test("examples/client.ts", () => expectTour(run([process.execPath, join(ROOT, "examples/client.ts")])));

test.skipIf(!Bun.which("curl") || !Bun.which("python3"))("examples/curl.sh", () => {
  const r = run(["bash", join(ROOT, "examples/curl.sh")]);
  expectTour(r);
  expect(r.out).toContain('{"type":"progress","progress":0}');
  expect(r.out).toContain("sona exited with 0");
});

// A checkout before `npm run build`: the same tree (linked) without dist/, and no SONA_BINARY. The
// examples must fall back to scripts/sona-dev (Bun running src/main.ts), as curl.sh does.
describe("before npm run build", () => {
  const tree = mkdtempSync(join(tmpdir(), "sona-unbuilt-"));
  for (const d of ["src", "scripts", "node_modules", "models", "lib", "sonapy", "package.json"]) symlinkSync(join(ROOT, d), join(tree, d));
  cpSync(join(ROOT, "examples"), join(tree, "examples"), { recursive: true });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));
  const { SONA_BINARY: _, ...rest } = env;
  const unbuilt = (cmd: string[]) => {
    const r = Bun.spawnSync(cmd, { cwd: tree, env: rest, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  };

  test.skipIf(!Bun.which("python3"))("examples/python.py", () => expectTour(unbuilt(["python3", join(tree, "examples/python.py")])));

  test("examples/client.ts", () => expectTour(unbuilt([process.execPath, join(tree, "examples/client.ts")])));
});

test("examples/live.ts: two spoken sentences, two segments, then stopped", () => {
  const r = run([process.execPath, join(ROOT, "examples/live.ts")]);
  if (r.code !== 0) console.error(r.out, r.err);
  expect(r.code).toBe(0);
  expect(r.err).toContain("meaningless");
  const lines = r.out.trimEnd().split("\n");
  expect(lines.filter((l) => /^\[\d/.test(l))).toHaveLength(2);
  expect(lines.at(-1)).toBe("stopped");
});
