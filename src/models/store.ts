// The models directory on disk: where `sona pull` puts models by default, what `sona models` lists
// and where names like "base.en" are looked up. A model file "ggml-<name>.bin" is listed as <name>;
// any other file (a .gguf, a renamed model) is listed under its own file name.
import { statSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { setting } from "../config.ts";
import { SonaError } from "../errors.ts";
import { type Env, fileNameFor, nameForFile } from "./registry.ts";

export interface StoredModel {
  /** the name to use on the command line: "base.en" for ggml-base.en.bin */
  name: string;
  file: string;
  /** absolute path */
  path: string;
  /** bytes */
  size: number;
  modified: Date;
}

/** SONA_MODELS_DIR, else $XDG_DATA_HOME/sona/models, else ~/.local/share/sona/models */
export function modelsDir(env: Env = process.env): string {
  const dir = setting("SONA_MODELS_DIR", env);
  if (dir) return resolve(dir);
  if (env.XDG_DATA_HOME) return resolve(env.XDG_DATA_HOME, "sona", "models");
  return join(env.HOME || homedir(), ".local", "share", "sona", "models");
}

/** a value with a directory separator is a path, never a model name */
export function hasPathSeparator(value: string): boolean {
  return value.includes("/") || value.includes("\\");
}

/** files that are in the directory but are not models: partial downloads, hidden files */
function isModelFile(file: string): boolean {
  return !file.startsWith(".") && !file.endsWith(".part");
}

/** the downloaded models, sorted by name; an absent directory lists as empty */
export async function listModels(dir: string = modelsDir()): Promise<StoredModel[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: StoredModel[] = [];
  for (const file of files.filter(isModelFile)) {
    const path = join(dir, file);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) continue;
    out.push({ name: nameForFile(file), file, path, size: st.size, modified: st.mtime });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The path of a downloaded model by name ("base.en") or by file name ("ggml-base.en.bin",
 * "custom.gguf"), or null when the directory holds no such file.
 */
export function findStored(name: string, dir: string = modelsDir()): string | null {
  if (name === "" || hasPathSeparator(name) || !isModelFile(name)) return null;
  for (const file of [fileNameFor(name), name]) {
    const path = join(dir, file);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not there; try the next spelling
    }
  }
  return null;
}

/** delete a downloaded model and any partial download of it; unknown names are model_not_found */
export async function removeModel(name: string, dir: string = modelsDir()): Promise<StoredModel> {
  const path = findStored(name, dir) ?? join(dir, `${fileNameFor(name)}.part`);
  const st = await stat(path).catch(() => null);
  if (!st?.isFile() || hasPathSeparator(name)) {
    throw new SonaError("model_not_found", `model '${name}' is not in ${dir}; see sona models`, { param: "name" });
  }
  await rm(path, { force: true });
  await rm(`${path}.part`, { force: true });
  const file = basename(path);
  return { name: nameForFile(file), file, path, size: st.size, modified: st.mtime };
}

/**
 * Where a download goes: the models directory by default; with -o, an existing directory or a value
 * ending in a slash means that directory, anything else is the exact file path (like the original).
 */
export function destinationPath(output: string | undefined, file: string, env: Env = process.env): string {
  if (!output) return join(modelsDir(env), file);
  return namesADirectory(output) ? resolve(output, file) : resolve(output);
}

/** -o names a directory: it ends in a slash or is an existing directory */
export function namesADirectory(output: string): boolean {
  if (/[\\/]$/.test(output)) return true;
  try {
    return statSync(output).isDirectory();
  } catch {
    return false;
  }
}
