// Files imported `with { type: "file" | "text" }`: Bun gives their path (or text), and
// `bun build --compile` embeds them in the binary.
declare module "*.whisper.cpp-commit" {
  const text: string;
  export default text;
}
declare module "*.so" {
  const path: string;
  export default path;
}
// Swagger UI's assets for /docs (src/server/docs.ts), embedded by path.
declare module "swagger-ui-dist/swagger-ui.css" {
  const path: string;
  export default path;
}
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const path: string;
  export default path;
}
