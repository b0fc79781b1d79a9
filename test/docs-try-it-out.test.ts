// /docs "Try it out" works on the first Execute. The form Swagger UI would send is computed with
// Swagger UI's own sampler (from the bundled swagger-ui-dist, as /docs serves it) and the rules of
// its request-body form (each field pre-filled with its sample, empty ones not sent), then posted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeEngine } from "./fake-engine.ts";
import { OpenApiValidator } from "./helpers/openapi-validator.ts";
import { audioForm, MICRO, startTestServer } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const { base } = server;
const spec = await (await fetch(`${base}/openapi.json`)).json();
beforeAll(() => engine.load(MICRO));
afterAll(() => server.close());

/** Swagger UI's JSON Schema 2020-12 sampler, the one it uses for OpenAPI 3.1 documents. */
async function swaggerSampler(): Promise<(schema: unknown) => unknown> {
  const bundle = (await import("swagger-ui-dist/swagger-ui-bundle.js")) as any;
  const SwaggerUIBundle = bundle.default ?? bundle;
  const system: any = { fn: {} };
  system.getSystem = () => system;
  const fn = SwaggerUIBundle.plugins.JSONSchema202012Samples(system).fn.jsonSchema202012;
  system.fn.jsonSchema202012 = fn;
  return (schema) => fn.getSampleSchema(schema, false, { includeWriteOnly: true });
}

/** What request-body.jsx pre-fills for a form property, and whether Execute sends it. */
function prefilled(sample: unknown, type: string): string | string[] | undefined {
  let value = sample;
  if (value === false) value = "false";
  if (value === 0) value = "0";
  if (typeof value === "string" && type === "array") value = JSON.parse(value);
  if (Array.isArray(value)) return value.length ? value.map(String) : undefined;
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

describe("/docs Try it out", () => {
  test("the pre-filled form transcribes on the first Execute, exactly as a form with no fields", async () => {
    const sample = await swaggerSampler();
    const form = spec.components.schemas.TranscriptionForm;
    const sent: Record<string, string | string[]> = {};
    for (const [name, schema] of Object.entries(form.properties as Record<string, { type: string; default?: unknown; examples?: unknown[] }>)) {
      if (name === "file") continue;
      const value = prefilled(sample(schema), schema.type);
      if (value !== undefined) sent[name] = value;
    }
    // nothing made up: every value sent is the field's documented default or its example
    for (const [name, value] of Object.entries(sent)) {
      const { default: dflt, examples } = form.properties[name];
      expect([String(dflt), String(examples?.[0])]).toContain(String(value));
    }
    expect(sent.language).toBe("auto");

    const tried = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm(sent) });
    expect(tried.status).toBe(200);
    expect(((await tried.json()) as { text: string }).text).toBe("Fake one. Fake two.");
    const plain = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm() });
    expect(plain.status).toBe(200);
    const [withForm, withNothing] = engine.calls.slice(-2);
    expect(withForm!.options).toEqual(withNothing!.options);
  });

  test("'Send empty value' fields are read as not given, never as a 400", async () => {
    const empty = Object.fromEntries(Object.keys(spec.components.schemas.TranscriptionForm.properties).filter((f) => f !== "file").map((f) => [f, ""]));
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm(empty) });
    expect(res.status).toBe(200);
    await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm() });
    const [withEmpty, withNothing] = engine.calls.slice(-2);
    expect(withEmpty!.options).toEqual(withNothing!.options);
  });

  test("error examples carry the code each status answers with, and match the Error schema", () => {
    const CODES: Record<string, string> = {
      400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "model_not_found", 408: "timeout", 413: "too_large",
      429: "busy", 500: "internal_error", 503: "no_model", 507: "insufficient_storage",
    };
    const validator = new OpenApiValidator(spec);
    const errorSchema = validator.at("/components/schemas/Error");
    let checked = 0;
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, res] of Object.entries(op.responses as Record<string, any>)) {
          if (Number(status) < 400 || (path === "/ready" && status === "503")) continue;
          const example = res.content["application/json"].example;
          expect(`${method} ${path} ${status}: ${example?.error?.code}`).toBe(`${method} ${path} ${status}: ${CODES[status]}`);
          OpenApiValidator.check(errorSchema, example, `${method} ${path} ${status} example`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  test("/health needs no key, so it shows no lock; every other operation keeps the optional key", () => {
    expect(spec.paths["/health"].get.security).toEqual([]);
    expect(spec.paths["/ready"].get.security).toBeUndefined();
    expect(spec.security).toEqual([{}, { apiKey: [] }]);
  });

  test("a favicon, linked from /docs and at /favicon.ico", async () => {
    const html = await (await fetch(`${base}/docs`)).text();
    expect(html).toContain('<link rel="icon" type="image/svg+xml" href="/docs/favicon.svg">');
    for (const path of ["/docs/favicon.svg", "/favicon.ico"]) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/svg+xml");
      expect(await res.text()).toStartWith("<svg ");
    }
  });
});
