// What every row gets from bench/run.ts.
import type { Fixtures } from "./fixtures.ts";

export interface Sona {
  /** argv prefix that runs `sona` (the compiled binary when there is one) */
  cmd: string[];
  /** "dist/sona (compiled)" or "bun src/main.ts (dev)" */
  kind: string;
  compiled: boolean;
}

export interface BenchContext {
  root: string;
  runs: number;
  quick: boolean;
  threads: number;
  fixtures: Fixtures;
  sona: Sona;
  /** `bun src/main.ts`, always available */
  sonaDev: Sona;
  binary: string | null;
  models: { tiny: string; micro: string };
  whisperCli: string;
  whisperServer: string;
  ffmpegBundled: string;
  log: (line: string) => void;
}
