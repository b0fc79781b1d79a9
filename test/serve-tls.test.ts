// `sona serve --tls-cert --tls-key`: https (and so wss://, which the OpenAI SDKs' Realtime classes
// insist on) with a self-signed certificate made for the test; the flags go together.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "sona-serve-tls-"));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
  "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]);
if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (...args: string[]) => [process.execPath, join(root, "src/main.ts"), "serve", "--port", "0", "--exit-with-parent=false", ...args];

test("serves https with the given certificate; SIGTERM exits 0", async () => {
  const proc = Bun.spawn(serve("--tls-cert", cert, "--tls-key", key), { stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`no ready line: ${await new Response(proc.stderr).text()}`);
    text += new TextDecoder().decode(value);
  }
  const { port } = JSON.parse(text) as { port: number };
  const res = await fetch(`https://127.0.0.1:${port}/health`, { tls: { rejectUnauthorized: false } });
  expect([res.status, await res.json()]).toEqual([200, { status: "ok", slots: { busy: 0, total: 1, queued: 0 } }]);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
  expect(await new Response(proc.stderr).text()).toContain(`listening on https://127.0.0.1:${port}`);
}, 60_000);

test("one flag without the other, or an unreadable file, is a usage error", () => {
  for (const args of [["--tls-cert", cert], ["--tls-key", key], ["--tls-cert", join(dir, "none.pem"), "--tls-key", key]]) {
    const run = Bun.spawnSync(serve(...args), { stdout: "pipe", stderr: "pipe" });
    expect(run.exitCode).toBe(2);
    expect(run.stdout.toString()).toBe("");
    expect(run.stderr.toString()).toMatch(/--tls-(cert|key)/);
  }
}, 60_000);
