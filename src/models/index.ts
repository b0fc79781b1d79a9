// A model argument (a path, a registry name or a name in the models directory) -> a checked file.
import { resolveModelPath } from "./resolve.ts";
import { validateModelFile } from "./validate.ts";

export async function prepareModel(nameOrPath: string) {
  const path = await resolveModelPath(nameOrPath);
  return validateModelFile(path);
}
