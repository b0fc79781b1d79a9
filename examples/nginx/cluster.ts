#!/usr/bin/env bun
// Scaling out: N `sona serve` processes behind nginx on loopback. Each sona runs one transcription
// at a time and refuses more with 429 before reading the upload; nginx replays the request to the
// next process (proxy_next_upstream http_429), so N processes serve N concurrent transcriptions.
// When all N are busy the client gets the 429 (with Retry-After) and retries.
//
//   bun examples/nginx/cluster.ts 3 models/synth-micro.en.bin     # prints the nginx URL; Ctrl-C stops
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface Cluster {
  url: string;
  sona: { pid: number; port: number; proc: Bun.Subprocess }[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function readyPort(proc: Bun.Subprocess<"ignore", "pipe", "inherit">): Promise<number> {
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`sona exited before its ready line (code ${await proc.exited})`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return JSON.parse(text.slice(0, text.indexOf("\n"))).port;
}

/** Starts n sona processes (each loading `model`) and nginx in front of them. */
export async function startCluster(opts: { n: number; model: string; sona: string[]; nginx?: string }): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "sona-nginx-"));
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, d));
  const sona = await Promise.all(
    Array.from({ length: opts.n }, async () => {
      const proc = Bun.spawn([...opts.sona, "serve", opts.model, "--port", "0"], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
      return { pid: proc.pid, port: await readyPort(proc), proc };
    }),
  );
  const port = await freePort();
  const template = readFileSync(join(import.meta.dir, "sona.conf.template"), "utf8");
  const conf = template
    .replaceAll("@DIR@", dir)
    .replace("@PORT@", String(port))
    // max_fails=0: a 429 is "busy", not a failure; nginx must not take the process out of rotation
    .replace("@SERVERS@", sona.map((s) => `    server 127.0.0.1:${s.port} max_fails=0;`).join("\n"));
  // as root, nginx would run its worker as "nobody", which cannot write this private temp dir
  writeFileSync(join(dir, "nginx.conf"), (process.getuid?.() === 0 ? "user root;\n" : "") + conf);
  const nginx = Bun.spawn([opts.nginx ?? "nginx", "-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "inherit", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
    if (i > 100 || nginx.exitCode !== null) throw new Error(`nginx did not start (see ${dir}/error.log)`);
    await Bun.sleep(50);
  }
  return {
    url,
    sona,
    async stop() {
      nginx.kill("SIGTERM");
      for (const s of sona) s.proc.kill("SIGTERM");
      await Promise.all([nginx.exited, ...sona.map((s) => s.proc.exited)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 3);
  const model = resolve(process.argv[3] ?? "models/synth-micro.en.bin");
  const cluster = await startCluster({ n, model, sona: [process.execPath, resolve(import.meta.dir, "../../src/main.ts")] });
  console.log(`${n} sona processes behind nginx at ${cluster.url} (Ctrl-C stops)`);
  process.on("SIGINT", () => cluster.stop().then(() => process.exit(0)));
}
