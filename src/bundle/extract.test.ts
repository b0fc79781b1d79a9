import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EmbeddedFile } from "./assets.ts";
import { cacheDirs, isIntact, materialize, sha256 } from "./extract.ts";

let dir: string;
let file: EmbeddedFile;
const content = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-extract-"));
  const packed = join(dir, "tool.zst");
  writeFileSync(packed, Bun.zstdCompressSync(content));
  file = { name: "tool", path: packed, size: content.length, sha256: sha256(content), executable: true };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fresh = (name: string) => [{ dir: join(dir, name, "cache") }];
const ino = (p: string) => statSync(p).ino;

describe("materialize", () => {
  test("unpacks once, executable, with a stamp; later calls reuse the file", () => {
    const dest = materialize(file, fresh("a"));
    expect(readFileSync(dest)).toEqual(Buffer.from(content));
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(dir, "a", "cache")).sort()).toEqual([".tool.ok", "tool"]);
    const first = ino(dest);
    expect(materialize(file, fresh("a"))).toBe(dest);
    expect(ino(dest)).toBe(first);
  });

  test("a changed byte is caught even with its mtime put back (ctime moves)", () => {
    const dest = materialize(file, fresh("b"));
    const st = statSync(dest);
    Bun.sleepSync(20); // past the file system's timestamp granularity
    const fd = openSync(dest, "r+");
    writeSync(fd, new Uint8Array([0xee]), 0, 1, 1234);
    closeSync(fd);
    utimesSync(dest, st.atime, st.mtime);
    expect(isIntact(dest, file)).toBe(false);
    const first = ino(dest);
    materialize(file, fresh("b"));
    expect(ino(dest)).not.toBe(first);
    expect(sha256(readFileSync(dest))).toBe(file.sha256);
  });

  test("a lost stamp costs a hash, not a rewrite; the stamp comes back", () => {
    const dest = materialize(file, fresh("c"));
    const first = ino(dest);
    unlinkSync(join(dir, "c", "cache", ".tool.ok"));
    expect(materialize(file, fresh("c"))).toBe(dest);
    expect(ino(dest)).toBe(first);
    expect(readdirSync(join(dir, "c", "cache"))).toContain(".tool.ok");
  });

  test("truncation, and a lost execute bit, are caught", () => {
    const dest = materialize(file, fresh("d"));
    chmodSync(dest, 0o644);
    expect(isIntact(dest, file)).toBe(false);
    materialize(file, fresh("d"));
    writeFileSync(dest, content.subarray(0, 10));
    expect(isIntact(dest, file)).toBe(false);
    materialize(file, fresh("d"));
    expect(isIntact(dest, file)).toBe(true);
  });

  test("an unusable dir is skipped for the next one", () => {
    writeFileSync(join(dir, "not-a-dir"), "");
    const dest = materialize(file, [{ dir: join(dir, "not-a-dir", "cache") }, ...fresh("e")]);
    expect(dest).toBe(join(dir, "e", "cache", "tool"));
  });

  test("a shared temp parent that others can write to is refused", () => {
    const parent = join(dir, "shared");
    mkdirSync(parent);
    chmodSync(parent, 0o777);
    expect(() => materialize(file, [{ dir: join(parent, "k"), privateParent: parent }])).toThrow(/not a private directory/);
  });

  test("a damaged embedded copy stops at once, naming the executable", () => {
    const bad = { ...file, sha256: "0".repeat(64) };
    expect(() => materialize(bad, fresh("f"))).toThrow(/inside this executable is damaged/);
  });
});

describe("cacheDirs", () => {
  const uid = process.getuid!();
  test("XDG_CACHE_HOME, else ~/.cache, then a private temp dir", () => {
    expect(cacheDirs("k", { XDG_CACHE_HOME: "/x", HOME: "/h" }).map((d) => d.dir)).toEqual(["/x/sona/k", join(tmpdir(), `sona-${uid}`, "k")]);
    expect(cacheDirs("k", { HOME: "/h" })[0]!.dir).toBe("/h/.cache/sona/k");
    expect(cacheDirs("k", { XDG_CACHE_HOME: "rel", HOME: "/h" })[0]!.dir).toBe("/h/.cache/sona/k");
    expect(cacheDirs("k", {})).toEqual([{ dir: join(tmpdir(), `sona-${uid}`, "k"), privateParent: join(tmpdir(), `sona-${uid}`) }]);
  });
});

test("temp files left by a killed writer are removed once an hour old", () => {
  const cache = join(dir, "g", "cache");
  mkdirSync(cache, { recursive: true });
  const old = join(cache, ".0123456789ab.42.tmp");
  const young = join(cache, ".ba9876543210.43.tmp");
  writeFileSync(old, "x");
  writeFileSync(young, "x");
  const hourAgo = new Date(Date.now() - 3_700_000);
  utimesSync(old, hourAgo, hourAgo);
  materialize(file, [{ dir: cache }]);
  expect(readdirSync(cache).sort()).toEqual([".ba9876543210.43.tmp", ".tool.ok", "tool"]);
});
