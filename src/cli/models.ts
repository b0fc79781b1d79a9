// `sona models` lists the downloaded models (name, size, path), `--available` what `sona pull`
// knows, and `sona models rm <name>` deletes one.
import { defineCommand } from "citty";
import { listRegistry } from "../models/registry.ts";
import { fillSizes } from "../models/sizes.ts";
import { findStored, listModels, modelsDir, removeModel } from "../models/store.ts";
import { formatBytes } from "./progress.ts";

const listArgs = {
  json: { type: "boolean", description: "Print JSON instead of a table" },
  available: { type: "boolean", description: "List the models 'sona pull' can download (whisper or VAD, size, checksum), marking the downloaded ones" },
} as const;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

async function list(args: { json?: boolean; available?: boolean }): Promise<void> {
  const dir = modelsDir();
  if (args.available) {
    const { entries: sized, unknown } = await fillSizes(listRegistry());
    const entries = sized.map((e) => ({ ...e, path: findStored(e.name, dir) }));
    if (unknown) process.stderr.write(`sona: ${unknown} size${unknown > 1 ? "s are" : " is"} unknown: not in the registry, and the hub did not say (offline?)\n`);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(entries.map((e) => ({ ...e, downloaded: e.path !== null })), null, 2)}\n`);
      return;
    }
    const rows = entries.map((e) => [e.name, e.kind === "vad" ? "vad" : "whisper", e.size !== null ? formatBytes(e.size) : "?", e.sha256 ? "sha256" : e.sha1 ? "sha1" : "-", e.path ?? ""]);
    process.stdout.write(table([["NAME", "KIND", "SIZE", "CHECKSUM", "DOWNLOADED"], ...rows]));
    return;
  }
  const models = await listModels(dir);
  if (args.json) {
    const out = models.map((m) => ({ name: m.name, file: m.file, path: m.path, size: m.size, modified: m.modified.toISOString() }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (models.length === 0) {
    process.stderr.write(`no models in ${dir}; download one with: sona pull base.en (see: sona models --available)\n`);
    return;
  }
  process.stdout.write(table([["NAME", "SIZE", "PATH"], ...models.map((m) => [m.name, formatBytes(m.size), m.path])]));
}

const ls = defineCommand({
  meta: { name: "ls", description: "List downloaded models (the default)" },
  args: listArgs,
  run: ({ args }) => list(args),
});

const rm = defineCommand({
  meta: { name: "rm", description: "Delete a downloaded model" },
  args: { name: { type: "positional", required: true, description: "The model's name as 'sona models' lists it" } },
  async run({ args }) {
    const removed = await removeModel(args.name);
    process.stdout.write(`removed ${removed.path}\n`);
  },
});

export default defineCommand({
  meta: { name: "models", description: "List downloaded models (name, size, path); 'sona models rm <name>' deletes one" },
  args: listArgs,
  default: "ls",
  subCommands: { ls, rm },
});
