// GET /skill: one markdown page for an AI agent that was given only the base URL: what this server
// is, how to call it, and where the full description is. Generated from the app's own routes and
// the one options schema, so it cannot describe a route or a field that does not exist.
import { Elysia } from "elysia";
import { OPTION_SPECS, type OptionSpec } from "../options.ts";
import { VERSION } from "../version.ts";
import type { ServerContext } from "./context.ts";
import { DOCS } from "./openapi.ts";

export interface RouteInfo {
  method: string;
  path: string;
  hooks?: { detail?: { summary?: string; hide?: boolean } };
}

export interface SkillPage {
  baseUrl: string;
  routes: readonly RouteInfo[];
  model: string | null;
  apiKey: boolean;
  /** transcriptions at once, and how many may wait for one */
  slots?: { total: number; queue: number };
}

function values(s: OptionSpec): string {
  if (s.values) return s.values.map((v) => `\`${v}\``).join(", ") + (s.kind === "list" ? " (repeat the field)" : "");
  if (s.kind === "bool") return "`true`, `false`";
  if (s.min !== undefined) return `${s.kind === "float" ? "number" : "integer"} ${s.min}..${s.max}`;
  return "text";
}

const cell = (text: string) => text.replaceAll("|", "\\|");

export function skillMarkdown({ baseUrl, routes, model, apiKey, slots = { total: 1, queue: 0 } }: SkillPage): string {
  const auth = apiKey ? ` -H "Authorization: Bearer $SONA_API_KEY"` : "";
  const documented = routes.filter((r) => r.hooks?.detail?.summary && !r.hooks.detail.hide);
  const lines = [
    "# Sona: local speech-to-text",
    "",
    `Sona ${VERSION} transcribes and translates audio with whisper.cpp on this machine, behind an OpenAI-compatible HTTP API.`,
    `Base URL: ${baseUrl}. The full machine-readable description is ${baseUrl}/openapi.json (OpenAPI 3.1); people can try it at ${baseUrl}/docs.`,
    "",
    ...(model
      ? [`Loaded model: \`${model}\`.`]
      : [
          "No model is loaded: transcriptions answer 503 `no_model` until one is loaded (`path`: a file on the server's disk, or a name from `sona models`):",
          "",
          "```sh",
          `curl -s${auth} ${baseUrl}/v1/models/load -d '{"path":"base.en"}'`,
          "```",
          "",
        ]),
    apiKey
      ? "Every route except `/health` needs `Authorization: Bearer <key>` (the key this server was started with)."
      : "No API key is needed (an OpenAI SDK may send any).",
    `${slots.total === 1 ? "One transcription runs" : `${slots.total} transcriptions run`} at a time${slots.queue ? ` and ${slots.queue} more may wait in line` : ""}: another one gets 429 \`busy\` with \`Retry-After\` (seconds until a running one is likely done); wait that long and send it again.`,
    "",
    "## Transcribe",
    "",
    "```sh",
    `curl -s${auth} ${baseUrl}/v1/audio/transcriptions -F file=@audio.mp3`,
    `curl -s${auth} ${baseUrl}/v1/audio/transcriptions -F file=@audio.mp3 -F response_format=verbose_json -F language=en`,
    `curl -sN${auth} ${baseUrl}/v1/audio/transcriptions -F file=@audio.mp3 -F stream=true   # NDJSON events, one per line`,
    "```",
    "",
    `With an OpenAI SDK, use base URL \`${baseUrl}/v1\` and model \`whisper-1\` (the loaded model is used whatever the name).`,
    "`json` answers `{\"text\":...,\"usage\":...}`; `verbose_json` adds `language`, `duration`, `segments` (and `words` with `timestamp_granularities[]=word`); `text`, `srt` and `vtt` answer plain text.",
    "`/v1/audio/translations` takes the same fields and translates into English.",
    "",
    "## Routes",
    "",
    "| method | path | what |",
    "|---|---|---|",
    ...documented.map((r) => `| ${r.method} | \`${r.path.replace(/:(\w+)/g, "{$1}")}\` | ${cell(r.hooks!.detail!.summary!)} |`),
    "",
    "## Fields of a transcription (multipart/form-data)",
    "",
    "| field | values | default | meaning |",
    "|---|---|---|---|",
    "| `file` | the audio or video file | required | WAV, MP3, M4A, OGG, FLAC, WebM, MP4, ... |",
    ...OPTION_SPECS.map((s) => `| \`${s.field}\` | ${cell(values(s))} | ${s.default === undefined ? "" : `\`${s.default}\``} | ${cell(s.description)} |`),
    "",
    "## Errors",
    "",
    'Every error is JSON: `{"error":{"code":"...","message":"...","type":"...","param":"..."}}`. `message` says what to do;',
    "`param` names the field at fault. `busy` (429) is worth retrying after `Retry-After`; `no_model` (503) needs a model load;",
    "`invalid_request` and `invalid_audio` (400) and `too_large` (413) fail the same way again until the request changes.",
    "",
  ];
  return lines.join("\n");
}

export function skillRoutes(ctx: ServerContext, routes: () => readonly RouteInfo[]) {
  return new Elysia({ name: "sona-skill" }).get(
    "/skill",
    ({ request }) => {
      const page = skillMarkdown({ baseUrl: new URL(request.url).origin, routes: routes(), model: ctx.modelName, apiKey: ctx.apiKey !== undefined, slots: { total: ctx.gate.slots, queue: ctx.gate.queueLimit } });
      return new Response(page, { headers: { "content-type": "text/markdown; charset=utf-8" } });
    },
    { detail: DOCS.skill },
  );
}
