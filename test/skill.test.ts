// GET /skill: an agent given only the base URL learns from it what the server is and how to call
// it. The page is generated from the app's routes and the options schema, and its own curl lines
// work as written.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPTION_SPECS } from "../src/options.ts";
import { FakeEngine } from "./fake-engine.ts";
import { MICRO_EN, startTestServer, testWav } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const keyed = startTestServer(new FakeEngine(), { apiKey: "secret" });
const dir = mkdtempSync(join(tmpdir(), "sona-skill-"));
afterAll(async () => {
  await Promise.all([server.close(), keyed.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const skill = async (base: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}/skill`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
  return res.text();
};

/** Runs a command without blocking the event loop (the server answers from this process). */
async function run(args: string[]): Promise<string> {
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** The page's curl lines, with the placeholders an agent would fill in. */
function curlLines(page: string, audio: string): string[][] {
  return page
    .split("\n")
    .filter((l) => l.startsWith("curl "))
    .map((l) => l.replace(/\s+#.*$/, "").replace("$SONA_API_KEY", "secret").replace("audio.mp3", audio))
    .map((l) => [...l.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!));
}

describe("GET /skill", () => {
  test("names the base URL, the description, every documented route and every field", async () => {
    const page = await skill(server.base);
    expect(page).toStartWith("# Sona");
    expect(page).toContain(`${server.base}/openapi.json`);
    expect(page).toContain(`${server.base}/docs`);
    const spec = await (await fetch(`${server.base}/openapi.json`)).json();
    for (const [path, item] of Object.entries(spec.paths as Record<string, object>)) {
      for (const method of Object.keys(item)) expect(page).toContain(`| ${method.toUpperCase()} | \`${path}\` |`);
    }
    for (const s of OPTION_SPECS) expect(page).toContain(`| \`${s.field}\` |`);
    expect(page).toContain("no_model");
  });

  test("its curl lines work as written: load a model, then transcribe (json, verbose_json, a stream)", async () => {
    const audio = join(dir, "speech.wav");
    writeFileSync(audio, testWav());
    const before = await skill(server.base);
    const [load] = curlLines(before, audio);
    expect(load).toContain(`${server.base}/v1/models/load`);
    // the page's example names a registry model; here the synthetic one stands in
    const loaded = await run(load!.map((a) => a.replace('{"path":"base.en"}', JSON.stringify({ path: MICRO_EN }))));
    expect(JSON.parse(loaded)).toMatchObject({ status: "loaded" });

    const after = await skill(server.base);
    expect(after).toContain("Loaded model: `synth-micro.en.bin`");
    const outputs: string[] = [];
    for (const args of curlLines(after, audio)) outputs.push(await run(args));
    expect(outputs).toHaveLength(3);
    expect(JSON.parse(outputs[0]!)).toMatchObject({ text: "Fake one. Fake two." });
    expect(JSON.parse(outputs[1]!)).toMatchObject({ language: "english", segments: expect.any(Array) });
    expect(outputs[2]!.trimEnd().split("\n").map((l) => JSON.parse(l).type).at(-1)).toBe("result");
  }, 60_000);

  test("with --api-key it says so, and its curl lines send the key", async () => {
    const page = await skill(keyed.base, { authorization: "Bearer secret" });
    expect(page).toContain("needs `Authorization: Bearer <key>`");
    for (const args of curlLines(page, "a.wav")) expect(args).toContain("Authorization: Bearer secret");
  });
});
