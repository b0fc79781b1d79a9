// The install step in front of `npm run demo` and `npm test` (scripts/system-deps.ts): its decision
// for each kind of machine, and the script itself against a PATH of stand-ins (a fake apt-get, and
// a fake sudo when not root), so nothing is really installed.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Machine, NEEDS, plan } from "../scripts/system-deps.ts";

const ROOT = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "sona-deps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const machine = (over: Partial<Machine> & { missing?: string[] } = {}): Machine => ({
  has: (c) => !(over.missing ?? []).includes(c),
  root: false,
  sudo: false,
  apt: true,
  ...over,
});

describe("plan", () => {
  test("nothing missing: nothing to do, whoever runs it", () => {
    for (const m of [machine(), machine({ root: true }), machine({ apt: false })]) expect(plan(NEEDS.test, m)).toEqual({ action: "none" });
  });

  test("root installs the missing packages with apt-get, no sudo", () => {
    expect(plan(NEEDS.test, machine({ root: true, missing: ["nasm", "nginx", "unshare"] }))).toEqual({
      action: "install",
      packages: ["nasm", "nginx-light", "util-linux"],
      commands: [
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "nasm", "nginx-light", "util-linux"],
      ],
    });
  });

  test("passwordless sudo installs through sudo -n (never a prompt)", () => {
    const p = plan(NEEDS.test, machine({ sudo: true, missing: ["sox"] }));
    expect(p).toEqual({
      action: "install",
      packages: ["sox"],
      commands: [
        ["sudo", "-n", "apt-get", "update", "-q"],
        ["sudo", "-n", "apt-get", "install", "-y", "-q", "--no-install-recommends", "sox"],
      ],
    });
  });

  test("no root and no passwordless sudo: fails at once with the one command, naming what is missing", () => {
    const p = plan(NEEDS.test, machine({ missing: ["espeak-ng", "/usr/share/keyrings/debian-archive-keyring.gpg"] }));
    expect(p.action).toBe("fail");
    const message = (p as { message: string }).message;
    expect(message).toContain("espeak-ng (spoken test fixtures)");
    expect(message).toContain("debian-archive-keyring (verifying ffmpeg's Debian source)");
    expect(message).toContain("sudo apt-get update -q && sudo apt-get install -y -q --no-install-recommends debian-archive-keyring espeak-ng");
  });

  test("SONA_INSTALL=never only says what to run, even as root; another value is refused", () => {
    const p = plan(NEEDS.test, machine({ root: true, install: "never", missing: ["python3"] }));
    expect(p.action).toBe("fail");
    expect((p as { message: string }).message).toContain("apt-get update -q && apt-get install -y -q --no-install-recommends python3");
    expect(plan(NEEDS.test, machine({ root: true, install: "yes", missing: ["python3"] }))).toEqual({ action: "fail", message: "SONA_INSTALL=yes: expected auto or never" });
  });

  test("no apt-get: the Debian package names, for whatever package manager there is", () => {
    const p = plan(NEEDS.test, machine({ root: true, apt: false, missing: ["nasm", "xz"] }));
    expect(p.action).toBe("fail");
    expect((p as { message: string }).message).toContain("Debian packages: xz-utils nasm");
  });

  test("the demo needs only the build's tools; the tests need the fixtures' too", () => {
    const missing = ["sox", "nginx"];
    expect(plan(NEEDS.demo, machine({ missing }))).toEqual({ action: "none" });
    expect(plan(NEEDS.test, machine({ missing })).action).toBe("fail");
  });

  test("a release, and the tests, need the aarch64 cross toolchain and qemu-user; only the tests need shellcheck", () => {
    const missing = ["aarch64-linux-gnu-g++", "/usr/aarch64-linux-gnu/lib/libc.a", "qemu-aarch64", "shellcheck"];
    const cross = ["g++-aarch64-linux-gnu", "libc6-dev-arm64-cross", "qemu-user"];
    expect(plan(NEEDS.release, machine({ root: true, missing }))).toMatchObject({ action: "install", packages: cross });
    expect(plan(NEEDS.test, machine({ root: true, missing }))).toMatchObject({ action: "install", packages: [...cross, "shellcheck"] });
    expect(plan(NEEDS.demo, machine({ missing }))).toEqual({ action: "none" });
  });
});

describe("scripts/system-deps.ts", () => {
  const bin = join(dir, "bin");
  const log = join(dir, "calls.log");
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  Bun.spawnSync(["mkdir", "-p", bin]);
  // a PATH with nothing but the stand-ins: every tool is missing
  stub("apt-get", `printf 'apt-get %s\\n' "$*" >> "${log}"`);
  stub("sudo", `[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; printf 'sudo ' >> "${log}"; exec "$@"`);
  const run = (env: Record<string, string>) =>
    Bun.spawnSync([process.execPath, join(ROOT, "scripts/system-deps.ts"), "test"], { cwd: ROOT, env: { PATH: bin, HOME: dir, ...env }, stdout: "pipe", stderr: "pipe" });

  test("installs what is missing without a question (as root, or through passwordless sudo)", () => {
    writeFileSync(log, "");
    const r = run({});
    expect(r.exitCode).toBe(0);
    const sudo = process.getuid?.() === 0 ? "" : "sudo ";
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls[0]).toBe(`${sudo}apt-get update -q`);
    expect(calls[1]).toStartWith(`${sudo}apt-get install -y -q --no-install-recommends make patch xz-utils glslc nasm`);
    expect(calls[1]).toContain("ffmpeg espeak-ng sox nginx-light python3 curl openssl util-linux mount");
    expect(calls).toHaveLength(2);
  });

  test("SONA_INSTALL=never: exit 1 at once, stderr names the command, nothing run", () => {
    writeFileSync(log, "");
    const r = run({ SONA_INSTALL: "never" });
    expect(r.exitCode).toBe(1);
    const err = r.stderr.toString();
    expect(err).toStartWith("system-deps: npm test needs system tools; missing:\n  make (building libwhisper and ffmpeg)\n");
    expect(err).toContain("apt-get install -y -q --no-install-recommends make patch xz-utils glslc nasm");
    expect(readFileSync(log, "utf8")).toBe("");
  });
});
