import { describe, expect, test } from "bun:test";
import { isOpenAiSdk, streamDialect } from "./negotiate.ts";

const h = (init: Record<string, string>) => new Headers(init);

describe("streamDialect", () => {
  test("NDJSON by default, for Sona's own clients and plain curl", () => {
    expect(streamDialect(h({}))).toBe("ndjson");
    expect(streamDialect(h({ accept: "*/*", "user-agent": "curl/8.5.0" }))).toBe("ndjson");
    expect(streamDialect(h({ accept: "application/json" }))).toBe("ndjson");
  });

  test("SSE when Accept names text/event-stream", () => {
    expect(streamDialect(h({ accept: "text/event-stream" }))).toBe("sse");
    expect(streamDialect(h({ accept: "application/json, text/event-stream;q=0.9" }))).toBe("sse");
    expect(streamDialect(h({ accept: "text/event-stream;q=0" }))).toBe("ndjson");
  });

  test("SSE for the OpenAI SDKs, which send Accept: application/json", () => {
    expect(streamDialect(h({ accept: "application/json", "user-agent": "OpenAI/JS 7.57.0", "x-stainless-lang": "js" }))).toBe("sse");
    expect(streamDialect(h({ "user-agent": "OpenAI/Python 1.109.1" }))).toBe("sse");
    expect(streamDialect(h({ "x-stainless-retry-count": "0" }))).toBe("sse");
    expect(isOpenAiSdk(h({ "user-agent": "Mozilla/5.0" }))).toBe(false);
  });

  test("an explicit NDJSON Accept wins over SDK markers", () => {
    expect(streamDialect(h({ accept: "application/x-ndjson", "x-stainless-lang": "js" }))).toBe("ndjson");
    expect(streamDialect(h({ accept: "application/ndjson, text/event-stream" }))).toBe("ndjson");
  });
});
