// Model names are accepted wherever a model path is (`sona transcribe base.en a.wav`, `sona serve
// tiny`, POST /v1/models/load {"path":"tiny"}). Order: an existing file wins; then a file in the
// models directory named as `sona models` lists it; then a registry name that is not downloaded yet
// (an error that says how to get it); anything else is an unknown model.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { SonaError } from "../errors.ts";
import { type Env, findModel } from "./registry.ts";
import { findStored, hasPathSeparator, modelsDir } from "./store.ts";

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** the absolute path of a model given as a path or a name; SonaError model_not_found otherwise */
export async function resolveModelPath(nameOrPath: string, env: Env = process.env): Promise<string> {
  const value = nameOrPath.trim();
  if (value === "") throw new SonaError("model_not_found", "no model given", { param: "model" });
  if (isFile(value)) return resolve(value);
  if (hasPathSeparator(value)) {
    throw new SonaError("model_not_found", `model file not found: ${value}`, { param: "model" });
  }
  const stored = findStored(value, modelsDir(env));
  if (stored) return stored;
  const entry = findModel(value, env);
  if (entry) {
    throw new SonaError("model_not_found", `model '${entry.name}' is not downloaded; run: sona pull ${entry.name}`, {
      param: "model",
    });
  }
  throw new SonaError(
    "model_not_found",
    `model file not found: ${value} (not a path, and not a known model name; see sona models)`,
    { param: "model" },
  );
}
