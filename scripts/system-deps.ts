#!/usr/bin/env bun
// The system tools `npm run demo` and `npm test` need beyond the README's Node.js, npm, cmake and a
// C++ compiler: the lean ffmpeg's build (nasm, make, patch, xz, the Debian keyring), the Vulkan library's
// (glslc, the Vulkan and SPIR-V headers), the GPU tests (the Vulkan loader, Mesa's lavapipe), the test
// fixtures (ffmpeg, espeak-ng, sox), the scale-out example (nginx), sonapy's tests (python3), the
// curl tests and the full-temp-dir test (unshare, mount), and for `npm run release` and the arm64 and
// installer tests the aarch64 cross toolchain, qemu-user and shellcheck. What is missing is installed when that needs no question
// (root, or sudo without a password) and SONA_INSTALL is not `never`; otherwise this fails at once
// with the one command that installs it, instead of a build that stops minutes in.
//   bun scripts/system-deps.ts [demo|test|release]      (default test)
import { existsSync } from "node:fs";
import { setting } from "../src/config.ts";

export interface Need {
  /** a command on PATH, or an absolute path to a file */
  check: string;
  /** the Debian package that provides it */
  pkg: string;
  /** what it is for, for the message */
  why: string;
}

const BUILD: Need[] = [
  { check: "make", pkg: "make", why: "building libwhisper and ffmpeg" },
  { check: "patch", pkg: "patch", why: "the whisper.cpp and ffmpeg patches" },
  { check: "xz", pkg: "xz-utils", why: "unpacking ffmpeg's source" },
  { check: "glslc", pkg: "glslc", why: "the Vulkan library's shaders" },
  { check: "/usr/include/vulkan/vulkan.h", pkg: "libvulkan-dev", why: "building the Vulkan library" },
  { check: "/usr/include/spirv/unified1/spirv.hpp", pkg: "spirv-headers", why: "building the Vulkan library" },
];
// the lean ffmpeg's build, for the host (npm test) and cross (npm run release)
const FFMPEG: Need[] = [
  { check: "nasm", pkg: "nasm", why: "the bundled lean ffmpeg" },
  { check: "/usr/share/keyrings/debian-archive-keyring.gpg", pkg: "debian-archive-keyring", why: "verifying ffmpeg's Debian source" },
];
const TEST: Need[] = [
  { check: "ffmpeg", pkg: "ffmpeg", why: "test fixtures and the system-ffmpeg comparison" },
  { check: "espeak-ng", pkg: "espeak-ng", why: "spoken test fixtures" },
  { check: "sox", pkg: "sox", why: "test fixtures" },
  { check: "nginx", pkg: "nginx-light", why: "the scale-out example's test" },
  { check: "python3", pkg: "python3", why: "sonapy's tests" },
  { check: "curl", pkg: "curl", why: "examples/curl.sh and the Expect: 100-continue test" },
  { check: "openssl", pkg: "openssl", why: "self-signed certificates for the TLS tests" },
  { check: "unshare", pkg: "util-linux", why: "the full-temp-dir test" },
  { check: "mount", pkg: "mount", why: "the full-temp-dir test" },
  { check: "/usr/lib/x86_64-linux-gnu/libvulkan.so.1", pkg: "libvulkan1", why: "the GPU tests (the Vulkan loader)" },
  { check: "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", pkg: "mesa-vulkan-drivers", why: "the GPU tests (lavapipe, Mesa's software Vulkan device)" },
];
// linux-arm64: libwhisper and ffmpeg cross-compiled, then run under qemu-user (scripts/release.ts)
const CROSS: Need[] = [
  { check: "aarch64-linux-gnu-g++", pkg: "g++-aarch64-linux-gnu", why: "cross-compiling libwhisper and ffmpeg for linux-arm64" },
  { check: "/usr/aarch64-linux-gnu/lib/libc.a", pkg: "libc6-dev-arm64-cross", why: "the arm64 ffmpeg's static libc" },
  { check: "qemu-aarch64", pkg: "qemu-user", why: "running the linux-arm64 build's checks and tests" },
];
const INSTALLER: Need[] = [{ check: "shellcheck", pkg: "shellcheck", why: "checking scripts/install.sh" }];
export const NEEDS: Record<"demo" | "test" | "release", Need[]> = {
  demo: BUILD,
  test: [...BUILD, ...FFMPEG, ...TEST, ...CROSS, ...INSTALLER],
  release: [...BUILD, ...FFMPEG, ...CROSS],
};

export interface Machine {
  has(check: string): boolean;
  /** running as root */
  root: boolean;
  /** `sudo -n true` succeeds: sudo without a password prompt */
  sudo: boolean;
  apt: boolean;
  /** SONA_INSTALL */
  install?: string;
}

export type Plan =
  | { action: "none" }
  | { action: "install"; commands: string[][]; packages: string[] }
  | { action: "fail"; message: string };

/** What to do about `needs` on `machine`: nothing, run these commands, or fail with this message. */
export function plan(needs: Need[], machine: Machine): Plan {
  const missing = needs.filter((n) => !machine.has(n.check));
  if (missing.length === 0) return { action: "none" };
  const packages = [...new Set(missing.map((n) => n.pkg))];
  const list = missing.map((n) => `  ${n.check.startsWith("/") ? n.pkg : n.check} (${n.why})`).join("\n");
  if (!machine.apt) {
    return { action: "fail", message: `missing:\n${list}\nInstall them with your system's package manager (Debian packages: ${packages.join(" ")}), then rerun.` };
  }
  const sudo = machine.root ? [] : ["sudo"];
  const update = [...sudo, "apt-get", "update", "-q"];
  const apt = [...sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", ...packages];
  const mode = machine.install ?? "auto";
  if (mode !== "auto" && mode !== "never") {
    return { action: "fail", message: `SONA_INSTALL=${mode}: expected auto or never` };
  }
  if (mode === "never" || !(machine.root || machine.sudo)) {
    const why = mode === "never" ? "SONA_INSTALL=never" : "not root, and sudo asks for a password";
    return { action: "fail", message: `missing:\n${list}\nInstall them with (${why}, so not done here):\n  ${update.join(" ")} && ${apt.join(" ")}` };
  }
  // sudo -n: never wait on a password prompt, even if the rights change meanwhile
  if (!machine.root) for (const c of [update, apt]) c.splice(1, 0, "-n");
  return { action: "install", commands: [update, apt], packages };
}

function thisMachine(): Machine {
  const root = process.getuid?.() === 0;
  const sudo = !root && Bun.which("sudo") !== null && Bun.spawnSync(["sudo", "-n", "true"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  return {
    has: (check) => (check.startsWith("/") ? existsSync(check) : Bun.which(check) !== null),
    root,
    sudo,
    apt: Bun.which("apt-get") !== null,
    install: setting("SONA_INSTALL"),
  };
}

if (import.meta.main) {
  const arg = process.argv[2];
  const what = arg === "demo" || arg === "release" ? arg : "test";
  const p = plan(NEEDS[what], thisMachine());
  if (p.action === "fail") {
    process.stderr.write(`system-deps: npm ${what === "test" ? "test" : `run ${what}`} needs system tools; ${p.message}\n`);
    process.exit(1);
  }
  if (p.action === "install") {
    process.stderr.write(`system-deps: installing ${p.packages.join(" ")}\n`);
    for (const cmd of p.commands) {
      const r = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
      if (r.exitCode !== 0) {
        process.stderr.write(`system-deps: '${cmd.join(" ")}' failed (exit ${r.exitCode}); run it yourself and rerun\n`);
        process.exit(1);
      }
    }
  }
}
