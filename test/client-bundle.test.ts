// The client's response types come from src/format/wire.ts as `import type`, so a bundle of the
// client still holds nothing but src/client (docs/CLIENTS.md): no formatter, no TypeBox, no server.
// src/config.ts, the table of SONA_* variables (it imports nothing), is the one shared module.
import { expect, test } from "bun:test";
import { join } from "node:path";

test("a bundle of src/client holds only src/client modules and the variables' table", async () => {
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, "../src/client/index.ts")], target: "node", format: "esm" });
  expect(built.success).toBe(true);
  const code = await built.outputs[0]!.text();
  // bun build heads each bundled module with a "// path" comment
  const modules = [...code.matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)].map((m) => m[1]!);
  expect(modules.length).toBeGreaterThan(3);
  for (const m of modules) if (m !== "src/config.ts") expect(m).toStartWith("src/client/");
  expect(code).not.toContain("typebox");
});
