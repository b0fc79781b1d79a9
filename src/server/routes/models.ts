// Model management: load (the engine validates the file before whisper.cpp sees it), unload, list. Loads and
// unloads wait for the gate, so the model never changes under a running transcription.
import { basename } from "node:path";
import { Elysia } from "elysia";
import type { LoadOptions } from "../../engine/index.ts";
import { SonaError } from "../../errors.ts";
import type { ModelInfo, ModelList } from "../../format/wire.ts";
import { resolveModelPath } from "../../models/resolve.ts";
import type { ServerContext } from "../context.ts";
import { DOCS } from "../openapi.ts";
import { json, readSmallBody } from "../respond.ts";

const LOAD_BODY_LIMIT = 64 * 1024;
const BODY_HINT = 'request body must contain {"path": "..."}';

/**
 * Resolves and checks the model, then loads it. The current model stays loaded when anything
 * fails: the engine validates the file first, and frees the old context only after the new
 * one loaded. Returns false when the same, unchanged file with the same options was already loaded.
 */
export async function loadModel(ctx: ServerContext, nameOrPath: string, options: LoadOptions = {}): Promise<boolean> {
  const path = await resolveModelPath(nameOrPath).catch(asPathError);
  if (ctx.isLoaded(path, options)) return false;
  const started = performance.now();
  await ctx.engine.load(path, options).catch(asPathError);
  ctx.recordLoad(path, options);
  ctx.log(`loaded model ${basename(path)} in ${Math.round(performance.now() - started)} ms`);
  return true;
}

/** the request's field is `path`, whatever the resolver called it (a bad gpu_device stays its own) */
function asPathError(err: unknown): never {
  if (err instanceof SonaError && err.param !== "path" && err.param !== "gpu_device" && err.status === 400) {
    throw new SonaError(err.code, err.message, { param: "path", cause: err });
  }
  throw err;
}

function parseLoadBody(text: string): { path: string; options: LoadOptions } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SonaError("invalid_request", `${BODY_HINT} (the body is not valid JSON)`, { param: "path" });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new SonaError("invalid_request", BODY_HINT, { param: "path" });
  }
  const { path, gpu_device: gpuDevice, no_gpu: noGpu } = body as Record<string, unknown>;
  if (typeof path !== "string" || path.trim() === "") throw new SonaError("invalid_request", BODY_HINT, { param: "path" });
  if (gpuDevice !== undefined && gpuDevice !== null && !(Number.isInteger(gpuDevice) && (gpuDevice as number) >= 0)) {
    throw new SonaError("invalid_request", "invalid 'gpu_device': expected a GPU index (an integer >= 0) or null", { param: "gpu_device" });
  }
  if (noGpu !== undefined && noGpu !== null && typeof noGpu !== "boolean") {
    throw new SonaError("invalid_request", "invalid 'no_gpu': expected true or false", { param: "no_gpu" });
  }
  const options: LoadOptions = {};
  if (typeof gpuDevice === "number") options.gpuDevice = gpuDevice;
  if (noGpu === true) options.noGpu = true;
  return { path, options };
}

export function modelRoutes(ctx: ServerContext) {
  return new Elysia({ name: "sona-models" })
    .post(
      "/v1/models/load",
      async ({ request }) => {
        const { path, options } = parseLoadBody(await readSmallBody(request, LOAD_BODY_LIMIT));
        using _lease = await ctx.gate.acquire(request.signal);
        await loadModel(ctx, path, options);
        return json({ model: ctx.modelName, status: "loaded", ...ctx.device });
      },
      { parse: "none", detail: DOCS.loadModel },
    )
    .delete(
      "/v1/models",
      async ({ request }) => {
        using _lease = await ctx.gate.acquire(request.signal);
        ctx.idleUnloaded = null; // asked for: no reload on demand
        if (ctx.engine.model) {
          await ctx.engine.unload();
          ctx.log("unloaded the model");
        }
        return json({ status: "unloaded" });
      },
      { parse: "none", detail: DOCS.unloadModel },
    )
    .get(
      "/v1/models",
      () => {
        const model = modelInfo(ctx);
        return json({ object: "list", data: model ? [model] : [] } satisfies ModelList);
      },
      { detail: DOCS.listModels },
    )
    .get(
      "/v1/models/:id",
      ({ params }) => {
        const model = modelInfo(ctx);
        if (model?.id === params.id) return json(model);
        throw new SonaError("model_not_found", `no loaded model is called '${params.id.slice(0, 200)}'${model ? ` (the loaded one is ${model.id})` : " (none is loaded)"}`, { status: 404, param: "model" });
      },
      { detail: DOCS.retrieveModel },
    );
}

/** The loaded model as OpenAI's Model object, or null. */
function modelInfo(ctx: ServerContext): ModelInfo | null {
  const model = ctx.model;
  return model && { id: basename(model.path), object: "model", created: model.loadedAt, owned_by: "local", slots: ctx.slots, ...ctx.device };
}
