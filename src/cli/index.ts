// The command line: the one place that exits the process. Subcommands load lazily so that
// `--help` and `--version` stay fast. Exit codes: 0 ok, 1 failure, 2 usage error.
import { type ArgsDef, type CommandDef, defineCommand, runCommand } from "citty";
import { setting } from "../config.ts";
import { isSonaError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { guardStdout, writeStdout } from "./stdout.ts";
import { UsageError } from "./usage.ts";

const subCommands = {
  transcribe: () => import("./transcribe.ts").then((m) => m.default),
  vad: () => import("./vad.ts").then((m) => m.default),
  live: () => import("./live.ts").then((m) => m.default),
  serve: () => import("./serve.ts").then((m) => m.default),
  pull: () => import("./pull.ts").then((m) => m.default),
  models: () => import("./models.ts").then((m) => m.default),
  info: () => import("./info.ts").then((m) => m.default),
  devices: () => import("./devices.ts").then((m) => m.default),
};

export const main = defineCommand({
  meta: {
    name: "sona",
    version: VERSION,
    description: "Local speech-to-text with whisper.cpp: one-shot (transcribe) or an OpenAI-compatible HTTP runner (serve)",
  },
  args: { verbose: { type: "boolean", alias: "v", description: "Show whisper.cpp and ffmpeg logs on stderr" } },
  subCommands,
});

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

/** Resolves the subcommand chain named by argv (for help and flag checks). */
async function resolve(argv: string[]): Promise<{ cmd: CommandDef<ArgsDef>; parent?: CommandDef<ArgsDef>; rest: string[] }> {
  let cmd: CommandDef<ArgsDef> = main as CommandDef<ArgsDef>;
  let parent: CommandDef<ArgsDef> | undefined;
  let rest = argv;
  for (;;) {
    const subs = (typeof cmd.subCommands === "function" ? await cmd.subCommands() : await cmd.subCommands) as Record<string, unknown> | undefined;
    const i = rest.findIndex((a) => !a.startsWith("-"));
    const name = i >= 0 ? rest[i]! : undefined;
    if (!subs || !name || !(name in subs)) return { cmd, parent, rest };
    const sub = subs[name] as () => Promise<CommandDef<ArgsDef>>;
    parent = cmd;
    cmd = typeof sub === "function" ? await sub() : (sub as CommandDef<ArgsDef>);
    rest = rest.slice(i + 1);
  }
}

/** Commands that take any number of their last positional (several audio files). */
const VARIADIC = new Set(["transcribe"]);

/**
 * citty ignores unknown flags and extra arguments; neither may be silently dropped. Also moves
 * global flags given before the command (`sona -v transcribe ...`) to after it, where citty reads them.
 */
async function checkFlags(argv: string[]): Promise<string[]> {
  const { cmd, rest } = await resolve(argv);
  const before = argv.slice(0, argv.length - rest.length);
  const globals = before.filter((a) => a.startsWith("-"));
  argv = [...before.filter((a) => !a.startsWith("-")), ...globals, ...rest];
  const defs = { ...((await (typeof main.args === "function" ? main.args() : main.args)) as ArgsDef), ...((await (typeof cmd.args === "function" ? cmd.args() : cmd.args)) as ArgsDef | undefined) };
  const names = new Set<string>(["help", "h"]);
  const booleans = new Set<string>();
  const positionals = Object.values(defs).filter((d) => d.type === "positional").length;
  for (const [name, def] of Object.entries(defs)) {
    const aliases = "alias" in def && def.alias ? ([] as string[]).concat(def.alias) : [];
    for (const n of [name, ...aliases]) {
      names.add(n);
      if (def.type === "boolean") booleans.add(n);
    }
    if (def.type === "boolean") {
      names.add(`no-${name}`);
      booleans.add(`no-${name}`);
    }
  }
  const out: string[] = [];
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") { out.push(...argv.slice(i)); given.push(...argv.slice(i + 1)); break; }
    const m = /^--?([^=]+)(=.*)?$/.exec(a);
    if (!m || /^-\d/.test(a)) {
      if (i >= argv.length - rest.length) given.push(a); // past the command's name: its own argument
    } else {
      if (!names.has(m[1]!)) throw new UsageError(`unknown option '${a.split("=")[0]}'`);
      // a string option's value is the next argument, not a positional
      if (!booleans.has(m[1]!) && !m[2] && i + 1 < argv.length) {
        out.push(a, argv[++i]!);
        continue;
      }
      // "--flag false" is accepted like "--flag=false" (the original's owners pass both)
      const next = argv[i + 1];
      if (booleans.has(m[1]!) && !m[2] && (next === "true" || next === "false")) {
        out.push(`${a}=${next}`);
        i++;
        continue;
      }
    }
    out.push(a);
  }
  const name = (await (typeof cmd.meta === "function" ? cmd.meta() : cmd.meta))?.name ?? "";
  if (given.length > positionals && !VARIADIC.has(name)) {
    throw new UsageError(`unexpected argument '${given[positionals]}'${positionals ? "" : ` ('sona ${name}' takes no arguments)`}`);
  }
  return out;
}

export async function runCli(argv: string[]): Promise<never> {
  guardStdout();
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      const { cmd, parent } = await resolve(argv);
      const { renderHelp } = await import("./help.ts");
      writeStdout(await renderHelp(cmd, parent));
      process.exit(0);
    }
    if (argv[0] === "--version" || argv[0] === "-V") {
      const { printVersion } = await import("./info.ts");
      await printVersion();
      process.exit(0);
    }
    const { cmd } = await resolve(argv);
    if (cmd === main) throw new UsageError(argv.length ? `unknown command '${argv.find((a) => !a.startsWith("-"))}'` : "no command given");
    await runCommand(main, { rawArgs: await checkFlags(argv) });
    process.exit(process.exitCode ?? 0);
  } catch (err) {
    const usage = err instanceof UsageError || (err instanceof Error && err.name === "CLIError");
    const message = stripAnsi(err instanceof Error ? err.message : String(err)).split("\n")[0];
    if (usage) {
      process.stderr.write(`sona: ${message}\nRun 'sona --help' (or 'sona <command> --help') for usage.\n`);
      process.exit(2);
    }
    process.stderr.write(`sona: error: ${message}\n`);
    if (!isSonaError(err) && setting("SONA_DEBUG")) console.error(err);
    process.exit(1);
  }
}
