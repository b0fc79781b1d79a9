// What each row hands back, and BENCHMARKS.md made from it.
import { fmtSummary, type Summary } from "./stats.ts";

export type Verdict = "pass" | "fail" | "recorded" | "skipped";

export interface Figure {
  label: string;
  /** a measured series; absent for a plain value */
  summary?: Summary;
  value?: string;
  unit?: string;
  digits?: number;
}

export interface RowResult {
  id: number;
  title: string;
  goal: string;
  /** the headline number set against the goal */
  result: string;
  verdict: Verdict;
  figures: Figure[];
  notes: string[];
  load?: { before: string; after: string };
  seconds?: number;
  /** a row carried over from a report on disk (see fromReport): its summary line and section, as written */
  carried?: { summary: string; section: string };
}

export function figure(label: string, summary: Summary, unit = "", digits = 0): Figure {
  return { label, summary, unit, digits };
}

export function value(label: string, value: string): Figure {
  return { label, value };
}

export function skipped(id: number, title: string, goal: string, why: string): RowResult {
  return { id, title, goal, result: "not measured", verdict: "skipped", figures: [], notes: [why] };
}

export function renderFigure(f: Figure): string {
  if (f.summary) return fmtSummary(f.summary, f.digits ?? 0, f.unit ?? "");
  return f.value ?? "";
}

const MARK: Record<Verdict, string> = { pass: "pass", fail: "**FAIL**", recorded: "recorded", skipped: "skipped" };

export interface Preamble {
  title: string;
  lines: [string, string][];
  intro: string[];
}

export function renderMarkdown(pre: Preamble, rows: RowResult[], epilogue: string[]): string {
  const out: string[] = [`# ${pre.title}`, "", ...pre.intro, ""];
  out.push("| | |", "|---|---|");
  for (const [k, v] of pre.lines) out.push(`| ${k} | ${cell(v)} |`);
  out.push("", "## Summary", "", "| # | figure | result: median (min–max) | goal | verdict |", "|---|---|---|---|---|");
  for (const r of [...rows].sort((a, b) => a.id - b.id)) {
    out.push(r.carried?.summary ?? `| ${r.id} | ${cell(r.title)} | ${cell(r.result)} | ${cell(r.goal)} | ${MARK[r.verdict]} |`);
  }
  out.push("");
  for (const r of [...rows].sort((a, b) => a.id - b.id)) {
    if (r.carried) {
      out.push(r.carried.section, "");
      continue;
    }
    out.push(`## ${r.id}. ${r.title}`, "", `Goal: ${r.goal}. Result: ${r.result} — ${MARK[r.verdict]}.`, "");
    if (r.figures.length) {
      out.push("| measurement | median (min–max) |", "|---|---|");
      for (const f of r.figures) out.push(`| ${cell(f.label)} | ${cell(renderFigure(f))} |`);
      out.push("");
    }
    for (const n of r.notes) out.push(`- ${n}`);
    const meta: string[] = [];
    if (r.load) meta.push(`load average before ${r.load.before}, after ${r.load.after}`);
    if (r.seconds !== undefined) meta.push(`row took ${Math.round(r.seconds)} s`);
    if (meta.length) out.push(`- ${meta.join("; ")}.`);
    out.push("");
  }
  out.push(...epilogue);
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * A report on disk as a run to update (`--update` when the saved run is gone, e.g. on another
 * machine): the preamble's lines and each row's summary line and section, kept word for word.
 */
export function fromReport(markdown: string): { preamble: Preamble; rows: RowResult[] } {
  const lines = markdown.split("\n");
  const table = lines.findIndex((l) => l === "| | |");
  const intro = lines.slice(2, table).join("\n").trim().split("\n");
  const pre: [string, string][] = [];
  for (let i = table + 2; lines[i]?.startsWith("| "); i++) {
    const m = /^\| (.+?) \| (.*) \|$/.exec(lines[i]!);
    if (m) pre.push([m[1]!, m[2]!.replace(/\\\|/g, "|")]);
  }
  const rows: RowResult[] = [];
  for (const summary of lines.filter((l) => /^\| \d+ \| /.test(l))) {
    const id = Number(/^\| (\d+) /.exec(summary)![1]);
    const start = lines.findIndex((l) => l.startsWith(`## ${id}. `));
    if (start < 0) continue;
    let end = start + 1;
    while (end < lines.length && !lines[end]!.startsWith("## ")) end++;
    const title = lines[start]!.slice(`## ${id}. `.length);
    rows.push({ id, title, goal: "", result: "", verdict: "recorded", figures: [], notes: [], carried: { summary, section: lines.slice(start, end).join("\n").trimEnd() } });
  }
  return { preamble: { title: /^# (.*)/.exec(lines[0] ?? "")?.[1] ?? "Sona benchmarks", intro, lines: pre }, rows };
}
