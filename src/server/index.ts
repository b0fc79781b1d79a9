// The HTTP runner: createApp() for the routes, lifecycle helpers for `sona serve`.
export { createApp, type AppOptions, type SonaApp } from "./app.ts";
export { ServerContext, DEFAULT_MAX_UPLOAD_BYTES, type ServerOptions } from "./context.ts";
export { listen, readyLine, shutdown, startIdleUnload, watchForShutdown, type ShutdownReason } from "./lifecycle.ts";
export { loadModel } from "./routes/models.ts";
