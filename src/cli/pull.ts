// `sona pull <name|url> [-o dir|file]`: downloads a model with a progress bar on stderr. Ctrl-C keeps
// the partial download (<file>.part) for the next pull to resume, and exits with 130 (a second one
// at once, by the signal itself: nothing here exits the process).
import { defineCommand } from "citty";
import { isSonaError } from "../errors.ts";
import { pull, type PullEvent } from "../models/pull.ts";
import { createProgress, formatBytes, type Progress } from "./progress.ts";

export default defineCommand({
  meta: {
    name: "pull",
    description: "Download a model by name (e.g. base.en; see 'sona models --available') or URL; resumable and checksum-verified",
  },
  args: {
    model: { type: "positional", required: true, description: "A registry name or an http(s) URL" },
    output: { type: "string", alias: "o", description: "Output directory or file (default: the models directory)" },
  },
  async run({ args }) {
    const controller = new AbortController();
    // the first Ctrl-C stops the download cleanly (exit 130 through cli/index.ts); with this
    // listener gone, a second one gets the default action and ends the process at once
    const onSigint = () => {
      process.off("SIGINT", onSigint);
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    let progress: Progress | undefined;
    let label = args.model;
    const note = (line: string) => (progress ? progress.log(line) : process.stderr.write(`${line}\n`));
    const onEvent = (e: PullEvent) => {
      switch (e.type) {
        case "resolved":
          label = e.name;
          note(`pulling ${e.name} from ${e.url}${e.size !== null ? ` (${formatBytes(e.size)})` : ""}`);
          break;
        case "progress":
          progress ??= createProgress({ label, total: e.total, unit: "bytes" });
          progress.update(e.downloaded, { total: e.total, rate: e.rate, eta: e.eta });
          break;
        case "retry":
          note(`${e.reason}; retrying in ${(e.delayMs / 1000).toFixed(1)}s (${e.attempt}/${e.retries})`);
          break;
        case "verifying":
          note(`verifying ${e.path}`);
          break;
        case "warning":
          note(`warning: ${e.message}`);
          break;
        case "done":
          progress?.done();
          progress = undefined;
          break;
      }
    };
    try {
      const result = await pull(args.model, { output: args.output, onEvent, signal: controller.signal });
      const check = result.verified === "none" ? "not verified" : `${result.verified} verified`;
      if (result.downloaded) {
        process.stderr.write(`${formatBytes(result.size)}, ${check}\n`);
        process.stdout.write(`saved ${result.path}\n`);
      } else {
        process.stderr.write(`already downloaded (${formatBytes(result.size)}, ${check})\n`);
        process.stdout.write(`up to date ${result.path}\n`);
      }
    } catch (e) {
      progress?.done();
      if (isSonaError(e) && e.code === "aborted") {
        process.stderr.write(`sona: ${e.message}\n`);
        process.exitCode = 130;
        return;
      }
      throw e;
    } finally {
      process.off("SIGINT", onSigint);
    }
  },
});
