// Puts an embedded file on disk, where dlopen and exec can use it. Bun could dlopen straight from
// /$bunfs, but it then writes its own copy to $TMPDIR on every run (and fails on a noexec /tmp),
// and it cannot exec from /$bunfs at all; so we keep one checked copy per build in a cache dir.
//
// Validation: a file counts as good when its size matches and a stamp beside it records the
// sha256 we expect together with the file's inode, size, mtime and ctime. Any write, truncation,
// chmod, touch or replacement through the file system changes ctime (which userland cannot set
// back) or the inode, so the stamp no longer matches and the file is hashed again: a re-stamp if
// the content is still right, a fresh copy if not. Warm start-up is a stat and a tiny read; a full
// hash (a few ms per file) only happens after a change. Not caught: damage below the file system
// (bit rot, raw block writes), which leaves the metadata alone.
import { createHash, randomBytes } from "node:crypto";
import {
  type BigIntStats, closeSync, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync,
  statSync, unlinkSync, writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { EmbeddedFile } from "./assets.ts";

type Env = Record<string, string | undefined>;

/** Where the cache may go, best first: $XDG_CACHE_HOME/sona, ~/.cache/sona, then a private temp dir. */
export function cacheDirs(key: string, env: Env = process.env): { dir: string; privateParent?: string }[] {
  const dirs: { dir: string; privateParent?: string }[] = [];
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) dirs.push({ dir: join(xdg, "sona", key) });
  else if (env.HOME && isAbsolute(env.HOME)) dirs.push({ dir: join(env.HOME, ".cache", "sona", key) });
  const parent = join(tmpdir(), `sona-${process.getuid?.() ?? "user"}`);
  dirs.push({ dir: join(parent, key), privateParent: parent });
  return dirs;
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const stampPath = (dest: string, f: EmbeddedFile) => join(dirname(dest), `.${f.name}.ok`);

function stampFor(dest: string, f: EmbeddedFile): string | null {
  try {
    return stampOf(statSync(dest, { bigint: true }), f);
  } catch {
    return null;
  }
}

const stampOf = (st: BigIntStats, f: EmbeddedFile) => `${f.sha256} ${st.size} ${st.ino} ${st.mtimeNs} ${st.ctimeNs}\n`;

/** True when dest holds exactly f (see the note at the top for how much that check trusts). */
export function isIntact(dest: string, f: EmbeddedFile): boolean {
  let st: BigIntStats;
  try {
    st = statSync(dest, { bigint: true });
  } catch {
    return false;
  }
  if (!st.isFile() || st.size !== BigInt(f.size) || (f.executable && !(st.mode & 0o100n))) return false;
  const stamp = stampOf(st, f);
  try {
    if (readFileSync(stampPath(dest, f), "utf8") === stamp) return true;
  } catch {
    // no stamp yet: hash below
  }
  if (sha256(readFileSync(dest)) !== f.sha256) return false;
  // a read-only cache still works, it is just hashed on every run
  tryWrite(stampPath(dest, f), stamp);
  return true;
}

/** Writes f into dir under a temporary name and renames it into place (atomic for any reader). */
export function extract(dir: string, f: EmbeddedFile): string {
  let bytes: Uint8Array;
  try {
    bytes = Bun.zstdDecompressSync(readFileSync(f.path));
  } catch {
    bytes = new Uint8Array(0);
  }
  if (bytes.length !== f.size || sha256(bytes) !== f.sha256) {
    throw new Error(`the copy of ${f.name} inside this executable is damaged; download sona again`);
  }
  const dest = join(dir, f.name);
  removeStaleTemps(dir);
  const ino = writeAtomic(dest, bytes, f.executable ? 0o755 : 0o644, true);
  // another process may have renamed its own copy over ours meanwhile: stamp only our inode
  const stamp = stampFor(dest, f);
  if (stamp && stamp.split(" ")[2] === String(ino)) tryWrite(stampPath(dest, f), stamp);
  return dest;
}

/** The path of a good copy of f, extracting it if needed; tries each cache dir in turn. */
export function materialize(f: EmbeddedFile, dirs: { dir: string; privateParent?: string }[]): string {
  const errors: string[] = [];
  for (const { dir, privateParent } of dirs) {
    try {
      if (privateParent) ensurePrivateDir(privateParent);
      const dest = join(dir, f.name);
      if (isIntact(dest, f)) return dest;
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      return extract(dir, f);
    } catch (err) {
      if (err instanceof Error && err.message.includes("inside this executable")) throw err;
      errors.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  throw new Error(`cannot unpack ${f.name} (${errors.join("; ")})`);
}

/** A shared temp dir is only used when it is ours alone: nobody else may plant files in it. */
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || st.mode & 0o022) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
}

/** Returns the inode of the file written, for the stamp. */
function writeAtomic(dest: string, bytes: Uint8Array, mode: number, sync: boolean): bigint {
  const tmp = `${dirname(dest)}/.${randomBytes(6).toString("hex")}.${process.pid}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  let ino: bigint;
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fchmodSync(fd, mode); // not left to the umask: the cache must be usable by this user at least
    if (sync) fsyncSync(fd);
    ino = fstatSync(fd, { bigint: true }).ino;
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, dest);
  } catch (err) {
    unlinkQuietly(tmp);
    throw err;
  }
  return ino;
}

/** Leftovers of processes killed mid-write; after an hour no live writer can still own them. */
function removeStaleTemps(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (/^\.[0-9a-f]{12}\.\d+\.tmp$/.test(name) && Date.now() - statSync(p).mtimeMs > 3_600_000) unlinkQuietly(p);
    }
  } catch {
    // best effort
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function tryWrite(dest: string, text: string): void {
  try {
    writeAtomic(dest, new TextEncoder().encode(text), 0o644, false);
  } catch {
    // the stamp only saves a hash next time
  }
}
