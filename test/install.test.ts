// scripts/install.sh against a release directory served on 127.0.0.1 (what `npm run release`
// writes: sona-<target> files and SHA256SUMS). A good install runs; a corrupted artifact is refused
// with nothing installed and nothing left behind; a platform without a build (a fake `uname` on
// PATH) gets a clear message and downloads nothing. The installer is run by /bin/sh (dash on
// Debian, which has no bash-isms) and must be shellcheck-clean.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checksumLines } from "../scripts/release.ts";
import { ensureBuilt, ROOT } from "./helpers/packaged.ts";

const INSTALLER = join(ROOT, "scripts/install.sh");
let dir: string;
let server: ReturnType<typeof Bun.serve>;
let requests: string[] = [];
const base = (release: string) => `http://127.0.0.1:${server.port}/${release}`;

/** A release dir: `files` by name, and a SHA256SUMS of `sums` (default: of the files themselves). */
function release(name: string, files: Record<string, Uint8Array>, sums?: Record<string, Uint8Array>): void {
  const d = join(dir, "www", name);
  mkdirSync(d, { recursive: true });
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(d, f), bytes);
  const listed = Object.entries(sums ?? files).map(([f, bytes]) => {
    writeFileSync(join(dir, f), bytes);
    return join(dir, f);
  });
  writeFileSync(join(d, "SHA256SUMS"), checksumLines(listed));
}

/** `uname -s` / `uname -m` answers for the installer, through a fake uname first on PATH. */
function fakeUname(os: string, machine: string): string {
  const bin = join(dir, `uname-${os}-${machine}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "uname"), `#!/bin/sh\ncase "$1" in -s) echo '${os}' ;; -m) echo '${machine}' ;; *) echo '${os}' ;; esac\n`);
  chmodSync(join(bin, "uname"), 0o755);
  return bin;
}

async function install(url: string, prefix: string, opts: { uname?: string; args?: string[] } = {}) {
  const tmp = mkdtempSync(join(dir, "tmp-"));
  const p = Bun.spawn(["/bin/sh", INSTALLER, "--prefix", prefix, ...(opts.args ?? [])], {
    env: { PATH: `${opts.uname ? `${opts.uname}:` : ""}/usr/bin:/bin`, HOME: join(dir, "home"), SONA_DOWNLOAD_URL: url, TMPDIR: tmp },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr, leftInTmp: readdirSync(tmp) };
}

let sona: Uint8Array;
const arm64 = new TextEncoder().encode("not really an arm64 binary: only its bytes are compared\n");

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "sona-install-"));
  sona = readFileSync(join(ROOT, "dist/sona"));
  const corrupted = Uint8Array.from(sona); // a copy (Buffer.slice would share the bytes)
  corrupted[corrupted.length >> 1]! ^= 0xff;
  release("good", { "sona-linux-x64": sona, "sona-linux-arm64": arm64 });
  // what a truncated or tampered download looks like: the bytes differ from what SHA256SUMS says
  release("corrupted", { "sona-linux-x64": corrupted }, { "sona-linux-x64": sona });
  const www = join(dir, "www");
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      requests.push(path);
      const file = join(www, path);
      return !path.includes("..") && existsSync(file) ? new Response(Bun.file(file)) : new Response("not found", { status: 404 });
    },
  });
}, 600_000);
afterAll(() => {
  server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("the installer is POSIX sh and shellcheck-clean", () => {
  const p = Bun.spawnSync(["shellcheck", "--shell=sh", INSTALLER]);
  expect(p.stdout.toString() + p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
});

test("a good install: the host's artifact, verified, in PREFIX/bin, and it runs", async () => {
  const prefix = join(dir, "good");
  const r = await install(base("good"), prefix);
  expect(r.stderr).toContain(`installed sona-linux-x64 as ${prefix}/bin/sona`);
  expect(r.code).toBe(0);
  expect(readdirSync(join(prefix, "bin"))).toEqual(["sona"]);
  expect(Buffer.from(readFileSync(join(prefix, "bin/sona"))).equals(Buffer.from(sona))).toBe(true);
  expect(r.leftInTmp).toEqual([]);
  const version = Bun.spawnSync([join(prefix, "bin/sona"), "--version"], { env: { HOME: join(dir, "home"), PATH: "/usr/bin:/bin" } });
  expect(version.exitCode).toBe(0);
  expect(version.stdout.toString()).toMatch(/^sona \d+\.\d+\.\d+ /);
  expect(version.stdout.toString()).toContain("target: linux-x64");
}, 120_000);

test("uname -m aarch64 picks sona-linux-arm64", async () => {
  const prefix = join(dir, "arm");
  const r = await install(base("good"), prefix, { uname: fakeUname("Linux", "aarch64") });
  expect(r.code).toBe(0);
  expect(readFileSync(join(prefix, "bin/sona"), "utf8")).toBe(new TextDecoder().decode(arm64));
});

describe("refusals leave nothing behind", () => {
  test("a corrupted artifact: refused, nothing installed, an earlier install kept, no temp files", async () => {
    const prefix = join(dir, "corrupted");
    const r = await install(base("corrupted"), prefix);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("checksum mismatch for sona-linux-x64");
    expect(r.stderr).toContain("nothing was installed");
    expect(existsSync(prefix)).toBe(false);
    expect(r.leftInTmp).toEqual([]);
    // over an existing install
    mkdirSync(join(prefix, "bin"), { recursive: true });
    copyFileSync(join(ROOT, "package.json"), join(prefix, "bin/sona"));
    const again = await install(base("corrupted"), prefix);
    expect(again.code).toBe(1);
    expect(readdirSync(join(prefix, "bin"))).toEqual(["sona"]);
    expect(readFileSync(join(prefix, "bin/sona"), "utf8")).toBe(readFileSync(join(ROOT, "package.json"), "utf8"));
  }, 120_000);

  test("a release without this platform's artifact, and an unreachable one, fail clearly", async () => {
    release("x64-only", { "sona-linux-x64": sona });
    const r = await install(base("x64-only"), join(dir, "none"), { uname: fakeUname("Linux", "arm64") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not list sona-linux-arm64");
    const gone = await install(base("no-such-release"), join(dir, "none"));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("cannot download");
    expect(existsSync(join(dir, "none"))).toBe(false);
    expect([...r.leftInTmp, ...gone.leftInTmp]).toEqual([]);
  }, 120_000);

  for (const [os, machine, message] of [
    ["Darwin", "arm64", "there is no macOS build of sona yet (Darwin arm64)"],
    ["MINGW64_NT-10.0-19045", "x86_64", "there is no Windows build of sona yet"],
    ["Linux", "riscv64", "there is no sona build for Linux riscv64"],
    ["FreeBSD", "amd64", "there is no sona build for FreeBSD amd64"],
  ] as const) {
    test(`unknown platform ${os} ${machine}: a clear message, nothing downloaded`, async () => {
      requests = [];
      const prefix = join(dir, `plat-${machine}`);
      const r = await install(base("good"), prefix, { uname: fakeUname(os, machine) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(requests).toEqual([]);
      expect(existsSync(prefix)).toBe(false);
    });
  }
});

test("usage errors exit 2; --help exits 0", async () => {
  const bad = await install(base("good"), join(dir, "u"), { args: ["--frobnicate"] });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("unknown argument: --frobnicate");
  const help = Bun.spawnSync(["/bin/sh", INSTALLER, "--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout.toString()).toContain("--prefix DIR");
});
