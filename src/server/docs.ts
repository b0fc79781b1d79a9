// GET /docs: Swagger UI served from the binary itself, so it works with no network (the original
// loaded it from a CDN and showed a blank page offline). Only the two files the UI needs are
// embedded; `bun build --compile` bundles them because they are imported as files.
import { Elysia } from "elysia";
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import swaggerJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sona API Docs</title>
  <link rel="icon" type="image/svg+xml" href="/docs/favicon.svg">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      displayRequestDuration: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  </script>
</body>
</html>
`;

// A sound wave in a rounded square: small enough to live here rather than as a file.
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f6f5c"/><path d="M6 16h3M11 11v10M16 7v18M21 11v10M26 16h-3" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/></svg>`;
const favicon = () => new Response(FAVICON, { headers: { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" } });

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });

export function docsRoutes() {
  const hide = { detail: { hide: true } };
  return new Elysia({ name: "sona-docs" })
    .get("/docs", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), hide)
    .get("/docs/swagger-ui.css", asset(swaggerCss, "text/css; charset=utf-8"), hide)
    .get("/docs/swagger-ui-bundle.js", asset(swaggerJs, "text/javascript; charset=utf-8"), hide)
    .get("/docs/favicon.svg", favicon, hide)
    // browsers ask for it on any page (/openapi.json, /skill) that names no icon
    .get("/favicon.ico", favicon, hide);
}
