// Which stream dialect a `stream=true` request gets. Sona's own clients (and the original's, such
// as Vibe and sonapy) read NDJSON; OpenAI's SDKs parse any stream:true response as SSE but send
// `Accept: application/json`, so the Accept header alone cannot tell them apart. In order:
//   1. Accept names application/x-ndjson (or application/ndjson)  -> NDJSON
//   2. Accept names text/event-stream                               -> SSE
//   3. an OpenAI SDK: an `X-Stainless-*` header or `User-Agent: OpenAI/...` -> SSE
//   4. anything else                                                 -> NDJSON (the original's default)
import type { StreamDialect } from "../stream.ts";

const NDJSON_TYPES = new Set(["application/x-ndjson", "application/ndjson"]);

/** The media types an Accept header lists with a non-zero quality. */
function acceptedTypes(accept: string | null): string[] {
  if (!accept) return [];
  return accept
    .split(",")
    .map((part) => part.split(";").map((s) => s.trim().toLowerCase()))
    .filter(([, ...params]) => !params.some((p) => /^q=0(\.0*)?$/.test(p)))
    .map(([type]) => type ?? "");
}

export function isOpenAiSdk(headers: Headers): boolean {
  if (/^OpenAI\//i.test(headers.get("user-agent") ?? "")) return true;
  for (const [name] of headers) if (name.startsWith("x-stainless-")) return true;
  return false;
}

export function streamDialect(headers: Headers): StreamDialect {
  const types = acceptedTypes(headers.get("accept"));
  if (types.some((t) => NDJSON_TYPES.has(t))) return "ndjson";
  if (types.includes("text/event-stream")) return "sse";
  return isOpenAiSdk(headers) ? "sse" : "ndjson";
}
