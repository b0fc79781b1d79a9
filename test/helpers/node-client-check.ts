// Run under Node 20 by test/client.test.ts (bundled first with `bun build --target=node`): the
// client's main paths, with a dead proxy in the environment. Prints one JSON line of findings.
import { spawnSona, SonaClientError } from "../../src/client/index.ts";

const [binary, model, wav] = process.argv.slice(2) as [string, string, string];
const out: Record<string, unknown> = { node: process.version };
const sona = await spawnSona({ binary, model });
try {
  out.health = await sona.client.health();
  out.json = await sona.client.transcribe(wav, { fields: { no_fallback: true } });
  out.text = await sona.client.transcribe(wav, { responseFormat: "text", fields: { no_fallback: true } });
  const { readFile } = await import("node:fs/promises");
  const blob = new Blob([await readFile(wav)]);
  const types: string[] = [];
  for await (const event of sona.client.transcribeStream(blob, { fields: { no_fallback: true } })) types.push(event.type);
  out.stream = types;
  try {
    await sona.client.transcribe(wav, { responseFormat: "docx" as "json" });
  } catch (e) {
    out.error = e instanceof SonaClientError ? { status: e.status, code: e.code, param: e.param } : String(e);
  }
} finally {
  out.stop = await sona.stop();
}
try {
  await spawnSona({ binary, model: "/no/such/model.bin" });
} catch (e) {
  out.early = e instanceof SonaClientError ? { code: e.code, stderr: e.stderr } : String(e);
}
console.log(JSON.stringify(out));
