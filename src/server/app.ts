// createApp(): the Elysia app with every route, the OpenAPI document and one error handler, so
// that nothing (unknown route, wrong method, malformed body, a bug) answers in any shape other
// than {"error":{code,message,type,param}}. The engine comes in from outside: the CLI passes
// WhisperEngine, tests a fake.
import { timingSafeEqual } from "node:crypto";
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { isSonaError, SonaError } from "../errors.ts";
import { ServerContext, type ServerOptions } from "./context.ts";
import { discardUnreadBody } from "./discard.ts";
import { docsRoutes } from "./docs.ts";
import { type RouteInfo, skillRoutes } from "./skill.ts";
import { realtimeRoutes } from "./openai/realtime.ts";
import { translationRoutes } from "./openai/translations.ts";
import { documentation } from "./openapi.ts";
import { asSonaError, errorResponse } from "./respond.ts";
import { modelRoutes } from "./routes/models.ts";
import { systemRoutes } from "./routes/system.ts";
import { upgradeKeyMatches, WEBSOCKET_MAX_PAYLOAD } from "./live-socket.ts";
import { liveRoutes } from "./routes/live.ts";
import { describe, transcriptionRoutes } from "./routes/transcriptions.ts";
import { vadRoutes } from "./routes/vad.ts";

export interface AppOptions extends Partial<ServerOptions> {
  /** share a context with the lifecycle code (serve); otherwise one is made from the options */
  context?: ServerContext;
}

/** methods each path answers; any other method gets 405 with Allow */
const ALLOWED: Record<string, string[]> = {
  "/health": ["GET"],
  "/ready": ["GET"],
  "/v1/models": ["GET", "DELETE"],
  "/v1/models/load": ["POST"],
  "/v1/models/:id": ["GET"],
  "/v1/audio/transcriptions": ["POST"],
  "/v1/audio/translations": ["POST"],
  "/v1/audio/vad": ["POST"],
  "/openapi.json": ["GET"],
  "/docs": ["GET"],
  "/skill": ["GET"],
};

/** Constant-time comparison of the Bearer token with the configured key. */
function authorized(header: string | null, key: string): boolean {
  const token = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1] ?? "";
  const a = Buffer.from(token);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createApp(options: AppOptions) {
  const ctx = options.context ?? new ServerContext({ ...options, engine: requireEngine(options) });
  // /skill lists the app's own routes, which exist only once the app is built
  let routes = (): readonly RouteInfo[] => [];
  const app = new Elysia({ name: "sona", websocket: { maxPayloadLength: WEBSOCKET_MAX_PAYLOAD } })
    // thrown, not returned: every error reaches the client through onError below
    // every route (and any WebSocket upgrade, which starts as a request) passes these first
    .onRequest(({ request }) => {
      // DNS rebinding: a web page whose name now resolves to this machine (hosts.ts)
      const host = request.headers.get("host");
      if (!ctx.hosts.allowsHost(host)) {
        throw new SonaError("forbidden", `requests for the host ${host!.slice(0, 100)} are not allowed (add it with --allowed-host or SONA_ALLOWED_HOSTS)`);
      }
      // A page on some web site may POST multipart to localhost (a CORS "simple request" needs no
      // preflight), so a browser request from an origin not on the same list is refused. Owners
      // and curl send no Origin.
      const origin = request.headers.get("origin");
      if (origin !== null && !ctx.hosts.allowsOrigin(origin)) {
        throw new SonaError("forbidden", `requests from the web origin ${origin.slice(0, 100)} are not allowed`);
      }
      // /health stays open so supervisors and load balancers can probe without the key
      if (
        ctx.apiKey &&
        new URL(request.url).pathname !== "/health" &&
        !authorized(request.headers.get("authorization"), ctx.apiKey) &&
        !upgradeKeyMatches(request, ctx.apiKey)
      ) {
        throw new SonaError("unauthorized", "missing or wrong API key: send Authorization: Bearer <key> (--api-key / SONA_API_KEY)");
      }
    })
    .onError(async ({ code, error, request }) => {
      // the client went away (mid-upload, mid-inference, waiting for the gate): nobody reads the
      // answer, and it is nobody's fault here, so one line and no stack trace
      if (request.signal.aborted) {
        ctx.log(`${request.method} ${new URL(request.url).pathname}: the client went away before the answer`);
        return errorResponse(new SonaError("aborted", "the client went away"));
      }
      // an error may answer before the upload is read (forbidden, unauthorized, busy, no_model)
      await discardUnreadBody(request);
      if (code === "NOT_FOUND") {
        return errorResponse(new SonaError("not_found", `no route for ${request.method} ${new URL(request.url).pathname}`));
      }
      if (code === "PARSE" || code === "VALIDATION" || code === "INVALID_COOKIE_SIGNATURE") {
        return errorResponse(new SonaError("invalid_request", `malformed request: ${error instanceof Error ? error.message : String(error)}`));
      }
      const err = asSonaError(error);
      if (!isSonaError(error)) ctx.log(`error on ${request.method} ${new URL(request.url).pathname}: ${describe(error)}`);
      return errorResponse(err, ctx.waitMs());
    })
    .use(openapi({ path: "/openapi", specPath: "/openapi.json", provider: null, documentation }))
    .use(systemRoutes(ctx))
    .use(modelRoutes(ctx))
    .use(transcriptionRoutes(ctx))
    .use(translationRoutes(ctx))
    .use(vadRoutes(ctx))
    .use(liveRoutes(ctx))
    .use(realtimeRoutes(ctx))
    .use(docsRoutes())
    .use(skillRoutes(ctx, () => routes()));
  routes = () => app.routes as readonly RouteInfo[];
  for (const [path, methods] of Object.entries(ALLOWED)) {
    const allow = methods.join(", ");
    app.all(
      path,
      async ({ request }) => {
        await discardUnreadBody(request);
        const e = new SonaError("invalid_request", `${request.method} is not allowed on ${path} (use ${methods.join(" or ")})`, { status: 405 });
        const res = errorResponse(e);
        res.headers.set("allow", allow);
        return res;
      },
      { parse: "none", detail: { hide: true } },
    );
  }
  return Object.assign(app, { sona: ctx });
}

function requireEngine(options: AppOptions) {
  if (!options.engine) throw new Error("createApp needs an engine (or a context)");
  return options.engine;
}

export type SonaApp = ReturnType<typeof createApp>;
