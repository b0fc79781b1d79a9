// `Expect: 100-continue` with curl: when the answer is known before the body (503 no model, 429
// busy, 413 by Content-Length, 403 a foreign Origin, 401 no key), curl gets it and stops sending
// instead of uploading the whole file for nothing. Bun itself answers 100 Continue as soon as the
// headers arrive, so what Sona controls is not draining the body first (src/server/discard.ts).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeEngine } from "./fake-engine.ts";
import { MICRO_EN, postAudio, startTestServer } from "./helpers/server.ts";

const SIZE = 512 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "sona-expect-"));
// a sparse file: half a gigabyte of zeros that takes no disk space
const big = join(dir, "big.wav");
const fd = openSync(big, "w");
ftruncateSync(fd, SIZE);
closeSync(fd);

const engine = new FakeEngine();
const server = startTestServer(engine, { maxUploadBytes: 2 * SIZE });
const small = startTestServer(engine, { maxUploadBytes: 1024 * 1024 });
const keyed = startTestServer(engine, { apiKey: "secret" });
afterAll(async () => {
  await Promise.all([server.close(), small.close(), keyed.close()]);
  rmSync(dir, { recursive: true, force: true });
});

interface CurlResult {
  exit: number;
  status: number;
  uploaded: number;
  body: { error?: { code: string } };
}

async function curlUpload(url: string, ...extra: string[]): Promise<CurlResult> {
  const args = ["curl", "-sS", "--noproxy", "*", "-H", "Expect: 100-continue", "-F", `file=@${big}`, ...extra, "-w", "\n%{http_code} %{size_upload}", url];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const lines = out.trimEnd().split("\n");
  const [status, uploaded] = lines.pop()!.split(" ").map(Number);
  if (exit !== 0) throw new Error(`curl exited ${exit}: ${err}`);
  return { exit, status: status!, uploaded: uploaded!, body: JSON.parse(lines.join("\n")) };
}

/** The answer came, and curl stopped long before the end of the file. */
function expectEarly(r: CurlResult, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.body.error?.code).toBe(code);
  expect(r.uploaded).toBeLessThan(SIZE / 2);
}

describe("Expect: 100-continue gets the final answer, and curl stops uploading", () => {
  test("503 no_model", async () => {
    expectEarly(await curlUpload(`${server.base}/v1/audio/transcriptions`), 503, "no_model");
  }, 60_000);

  test("403 forbidden and 401 unauthorized", async () => {
    expectEarly(await curlUpload(`${server.base}/v1/audio/transcriptions`, "-H", "Origin: https://example.com"), 403, "forbidden");
    expectEarly(await curlUpload(`${keyed.base}/v1/audio/transcriptions`), 401, "unauthorized");
  }, 60_000);

  describe("with a model", () => {
    beforeAll(() => engine.load(MICRO_EN));

    test("413 too_large by Content-Length", async () => {
      expectEarly(await curlUpload(`${small.base}/v1/audio/transcriptions`), 413, "too_large");
    }, 60_000);

    test("429 busy while another transcription runs; the next request works", async () => {
      engine.options.stepMs = 200;
      try {
        const running = postAudio(server.base);
        while (!server.app.sona.gate.busy) await Bun.sleep(2);
        expectEarly(await curlUpload(`${server.base}/v1/audio/transcriptions`), 429, "busy");
        expect((await running).status).toBe(200);
      } finally {
        engine.options.stepMs = 0;
      }
      const next = await postAudio(server.base);
      expect(next.status).toBe(200);
    }, 60_000);
  });
});
