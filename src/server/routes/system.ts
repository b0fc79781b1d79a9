// Liveness and readiness. Neither touches the gate or the engine's queue, so both answer at once
// while a transcription runs (the original's /ready waited for it).
import { basename } from "node:path";
import { Elysia } from "elysia";
import type { ServerContext } from "../context.ts";
import { DOCS } from "../openapi.ts";
import { json } from "../respond.ts";

export function systemRoutes(ctx: ServerContext) {
  return new Elysia({ name: "sona-system" })
    .get("/health", () => json({ status: "ok", slots: ctx.slots }), { detail: DOCS.health })
    .get(
      "/ready",
      () => {
        const model = ctx.modelName;
        // the original's bodies, kept as they were (not the error envelope): owners poll this
        if (model) return json({ model, status: "ready", slots: ctx.slots, ...ctx.device });
        // unloaded by the idle timer: still ready, the next transcription loads it again
        if (ctx.idleUnloaded) return json({ model: basename(ctx.idleUnloaded.path), status: "unloaded_idle", slots: ctx.slots });
        return json({ message: "no model loaded", status: "not_ready" }, 503);
      },
      { detail: DOCS.ready },
    );
}
