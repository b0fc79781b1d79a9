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

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });

export function docsRoutes() {
  const hide = { detail: { hide: true } };
  return new Elysia({ name: "sona-docs" })
    .get("/docs", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), hide)
    .get("/docs/swagger-ui.css", asset(swaggerCss, "text/css; charset=utf-8"), hide)
    .get("/docs/swagger-ui-bundle.js", asset(swaggerJs, "text/javascript; charset=utf-8"), hide);
}
