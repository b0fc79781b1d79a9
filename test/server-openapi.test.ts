// /openapi.json is complete (every route, every form field, every error) and /docs works offline.
import { afterAll, describe, expect, test } from "bun:test";
import { OPTION_SPECS } from "../src/options.ts";
import { FakeEngine } from "./fake-engine.ts";
import { startTestServer } from "./helpers/server.ts";

const server = startTestServer(new FakeEngine());
const { base } = server;
afterAll(() => server.close());

type Json = Record<string, any>;
const spec: Json = await (await fetch(`${base}/openapi.json`)).json();

/** every "$ref" in the document */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) k === "$ref" ? out.push(v as string) : refs(v, out);
  }
  return out;
}

describe("/openapi.json", () => {
  test("is OpenAPI 3.1 titled Sona API with the binary's version", () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
    expect(spec.info.title).toBe("Sona API");
    expect(spec.info.version).toMatch(/^\d+\.\d+\.\d+/);
    // relative, so Swagger UI and generated clients talk to whatever address served the document
    expect(spec.servers).toEqual([{ url: "/", description: "this Sona server" }]);
  });

  test("documents exactly the API's operations", () => {
    const ops = Object.entries(spec.paths as Json).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(ops.sort()).toEqual([
      "DELETE /v1/models", "GET /health", "GET /ready", "GET /skill", "GET /v1/models", "GET /v1/models/{id}",
      "POST /v1/audio/transcriptions", "POST /v1/audio/translations", "POST /v1/audio/vad", "POST /v1/models/load",
    ]);
  });

  test("the transcription form lists file and every option field", () => {
    for (const path of ["/v1/audio/transcriptions", "/v1/audio/translations"]) {
      const body = spec.paths[path].post.requestBody.content["multipart/form-data"].schema;
      expect(body).toEqual({ $ref: "#/components/schemas/TranscriptionForm" });
    }
    const form = spec.components.schemas.TranscriptionForm;
    expect(form.required).toEqual(["file"]);
    expect(Object.keys(form.properties).sort()).toEqual(["file", ...OPTION_SPECS.map((s) => s.field)].sort());
    expect(form.properties["timestamp_granularities[]"].items.enum).toEqual(["word", "segment"]);
    expect(form.properties.response_format.enum).toEqual(["json", "text", "verbose_json", "srt", "vtt", "diarized_json"]);
  });

  test("every response shape and every error status, errors with the one error schema", () => {
    const t = spec.paths["/v1/audio/transcriptions"].post.responses;
    expect(Object.keys(t).sort()).toEqual(["200", "400", "401", "403", "408", "413", "429", "500", "503", "507"]);
    // the API key is optional, and /health never asks for it
    expect(spec.security).toEqual([{}, { apiKey: [] }]);
    expect(spec.components.securitySchemes.apiKey.scheme).toBe("bearer");
    expect(spec.paths["/health"].get.responses["401"]).toBeUndefined();
    expect(spec.paths["/ready"].get.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(Object.keys(t[200].content).sort()).toEqual(["application/json", "application/x-ndjson", "text/event-stream", "text/plain"]);
    expect(t[429].headers["Retry-After"]).toBeDefined();
    for (const [, item] of Object.entries(spec.paths as Json)) {
      for (const op of Object.values(item as Json)) {
        expect(op.responses["200"]).toBeDefined();
        expect(op.responses["500"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
        for (const [status, res] of Object.entries(op.responses as Json)) {
          if (Number(status) >= 400 && !(status === "503" && op.operationId === "readyCheck")) {
            expect(res.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
          }
        }
      }
    }
    expect(spec.paths["/v1/models/load"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/LoadModelRequest" });
    expect(spec.components.schemas.Error.properties.error).toEqual({ $ref: "#/components/schemas/ErrorBody" });
    expect(spec.components.schemas.ErrorBody.required).toEqual(["code", "message", "type", "param"]);
  });

  test("every $ref resolves", () => {
    const names = new Set(Object.keys(spec.components.schemas));
    for (const r of refs(spec)) expect(names.has(r.replace("#/components/schemas/", ""))).toBe(true);
  });
});

describe("/docs", () => {
  test("serves Swagger UI and its assets from the binary, with no external URL", async () => {
    const page = await fetch(`${base}/docs`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('url: "/openapi.json"');
    for (const [asset, type, min] of [["swagger-ui.css", "text/css", 50_000], ["swagger-ui-bundle.js", "text/javascript", 500_000]] as const) {
      expect(html).toContain(`/docs/${asset}`);
      const res = await fetch(`${base}/docs/${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith(type);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(min);
    }
    expect((await fetch(`${base}/docs/`)).status).toBe(200);
  });
});
