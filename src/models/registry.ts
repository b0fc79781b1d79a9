// The built-in registry of published whisper.cpp ggml models: name → URL, size and checksum.
//
// Provenance (looked up for this table; nothing here is guessed):
// - sha256: the Git LFS object ids shown by Hugging Face for each file of ggerganov/whisper.cpp
//   (the "Git LFS Details" of the file pages and the LFS pointers in the commits that added them:
//   80da2d8 "Migrate from HG dataset", 3eed2a5/f281eb4 "Add properly named models back",
//   bf8b606/362722b "large-v3", 98aa99a "large-v3-turbo", 0b364b5 "Add Q8_0 models").
//   small's sha256 was read from a page of a duplicate of that repository (same commit 80da2d8).
// - sha1: the "SHA" column of whisper.cpp's models/README.md and the model card of
//   ggerganov/whisper.cpp. Not found for medium.en-q5_0 (truncated), large-v2-q8_0, large-v3-turbo-q8_0.
// - size: exact byte counts from LFS pointers ("size N") whose oid equals the sha256 above;
//   null where no pointer was found (the checksum still verifies the file).
// - silero-v6.2.0: size and sha256 come from a public mirror's model card stating the file is a
//   byte-for-byte copy of ggml-org/whisper-vad at commit 9ffd54a; the upstream page itself was not found.
// Verification prefers sha256, then sha1; an entry with neither is verified by size only (with a warning).
//
// SONA_REGISTRY_FILE=<file.json> (a testing and mirroring hook) adds or overrides entries: a JSON
// array of { name, url?, file?, size?, sha256?, sha1? }. HF_ENDPOINT replaces https://huggingface.co.
import { readFileSync } from "node:fs";
import { setting } from "../config.ts";
import { SonaError } from "../errors.ts";

export type Env = Record<string, string | undefined>;

export interface ModelEntry {
  /** the name users type: "base.en", "large-v3-turbo-q5_0", "silero-v6.2.0" */
  name: string;
  /** the file name on the hub and on disk: "ggml-base.en.bin" */
  file: string;
  url: string;
  size: number | null;
  sha256: string | null;
  sha1: string | null;
  /** a speech model, or a voice activity detection model (Silero) for the VAD options */
  kind: "whisper" | "vad";
}

export interface Digest {
  algo: "sha256" | "sha1";
  hex: string;
}

const WHISPER_REPO = "ggerganov/whisper.cpp";
const VAD_REPO = "ggml-org/whisper-vad";

// [name, size in bytes | null, sha256 | null, sha1 | null]
type Row = [string, number | null, string | null, string | null];
const WHISPER: Row[] = [
  ["tiny", 77691713, "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21", "bd577a113a864445d4c299885e0cb97d4ba92b5f"],
  ["tiny.en", 77704715, "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df"],
  ["base", 147951465, "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe", "465707469ff3a37a2b9b8d8f89f2f99de7299dac"],
  ["base.en", 147964211, "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002", "137c40403d78fd54d454da0f9bd998f78703390c"],
  ["small", null, "1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b", "55356645c2b361a969dfd0ef2c5a50d530afd8d5"],
  ["small.en", null, "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d", "db8a495a91d927739e50b3fc1cc4c6b8f6c2d022"],
  ["medium", null, "6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208", "fd9727b6e1217c2f614f9b698455c4ffd82463b4"],
  ["medium.en", null, "cc37e93478338ec7700281a7ac30a10128929eb8f427dda2e865faa8f6da4356", "8c30f0e44ce9560643ebd10bbe50cd20eafd3723"],
  ["large-v1", null, "7d99f41a10525d0206bddadd86760181fa920438b6b33237e3118ff6c83bb53d", "b1caaf735c4cc1429223d5a74f0f4d0b9b59a299"],
  ["large-v2", null, "9a423fe4d40c82774b6af34115b8b935f34152246eb19e80e376071d3f999487", "0f4c8e34f21cf1a914c59d8b3ce882345ad349d6"],
  ["large-v3", null, "64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2", "ad82bf6a9043ceed055076d0fd39f5f186ff8062"],
  ["large-v3-turbo", 1624555275, "1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69", "4af2b29d7ec73d781377bfd1758ca957a807e941"],
  ["tiny-q5_1", null, "818710568da3ca15689e31a743197b520007872ff9576237bda97bd1b469c3d7", "2827a03e495b1ed3048ef28a6a4620537db4ee51"],
  ["tiny.en-q5_1", null, "c77c5766f1cef09b6b7d47f21b546cbddd4157886b3b5d6d4f709e91e66c7c2b", "3fb92ec865cbbc769f08137f22470d6b66e071b6"],
  ["tiny-q8_0", null, "c2085835d3f50733e2ff6e4b41ae8a2b8d8110461e18821b09a15c40c42d1cca", "19e8118f6652a650569f5a949d962154e01571d9"],
  ["base-q5_1", 59707625, "422f1ae452ade6f30a004d7e5c6a43195e4433bc370bf23fac9cc591f01a8898", "a3733eda680ef76256db5fc5dd9de8629e62c5e7"],
  ["base.en-q5_1", 59721011, "4baf70dd0d7c4247ba2b81fafd9c01005ac77c2f9ef064e00dcf195d0e2fdd2f", "d26d7ce5a1b6e57bea5d0431b9c20ae49423c94a"],
  ["base-q8_0", 81768585, "c577b9a86e7e048a0b7eada054f4dd79a56bbfa911fbdacf900ac5b567cbb7d9", "7bb89bb49ed6955013b166f1b6a6c04584a20fbe"],
  ["small-q5_1", null, "ae85e4a935d7a567bd102fe55afc16bb595bdb618e11b2fc7591bc08120411bb", "6fe57ddcfdd1c6b07cdcc73aaf620810ce5fc771"],
  ["small.en-q5_1", null, "bfdff4894dcb76bbf647d56263ea2a96645423f1669176f4844a1bf8e478ad30", "20f54878d608f94e4a8ee3ae56016571d47cba34"],
  ["small-q8_0", null, "49c8fb02b65e6049d5fa6c04f81f53b867b5ec9540406812c643f177317f779f", "bcad8a2083f4e53d648d586b7dbc0cd673d8afad"],
  ["medium-q5_0", 539212467, "19fea4b380c3a618ec4723c3eef2eb785ffba0d0538cf43f8f235e7b3b34220f", "7718d4c1ec62ca96998f058114db98236937490e"],
  ["medium.en-q5_0", 539225533, "76733e26ad8fe1c7a5bf7531a9d41917b2adc0f20f2e4f5531688a8c6cd88eb0", null],
  ["medium-q8_0", 823369779, "42a1ffcbe4167d224232443396968db4d02d4e8e87e213d3ee2e03095dea6502", "e66645948aff4bebbec71b3485c576f3d63af5d6"],
  ["large-v2-q5_0", 1080732091, "3a214837221e4530dbc1fe8d734f302af393eb30bd0ed046042ebf4baf70f6f2", "00e39f2196344e901b3a2bd5814807a769bd1630"],
  ["large-v2-q8_0", 1656129691, "fef54e6d898246a65c8285bfa83bd1807e27fadf54d5d4e81754c47634737e8c", null],
  ["large-v3-q5_0", 1081140203, "d75795ecff3f83b5faa89d1900604ad8c780abd5739fae406de19f23ecd98ad1", "e6e2ed78495d403bef4b7cff42ef4aaadcfea8de"],
  ["large-v3-turbo-q5_0", 574041195, "394221709cd5ad1f40c46e6031ca61bce88931e6e088c188294c6d5a55ffa7e2", "e050f7970618a659205450ad97eb95a18d69c9ee"],
  ["large-v3-turbo-q8_0", 874188075, "317eb69c11673c9de1e1f0d459b253999804ec71ac4c23c17ecf5fbe24e259a1", null],
];
const VAD: Row[] = [
  ["silero-v6.2.0", 885098, "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987", null],
];

/** "base.en" → "ggml-base.en.bin": how whisper.cpp names model files */
export function fileNameFor(name: string): string {
  return `ggml-${name}.bin`;
}

/** "ggml-base.en.bin" → "base.en"; any other file keeps its own name */
export function nameForFile(file: string): string {
  const m = /^ggml-(.+)\.bin$/.exec(file);
  return m?.[1] ?? file;
}

/** the hub's base URL: HF_ENDPOINT (Hugging Face's own variable for mirrors), without a trailing slash */
export function hubEndpoint(env: Env = process.env): string {
  const raw = setting("HF_ENDPOINT", env)?.trim();
  return (raw ? raw : "https://huggingface.co").replace(/\/+$/, "");
}

function fromRow(repo: string, [name, size, sha256, sha1]: Row, env: Env): ModelEntry {
  const file = fileNameFor(name);
  const kind = repo === VAD_REPO || name.startsWith("silero") ? "vad" : "whisper";
  return { name, file, url: `${hubEndpoint(env)}/${repo}/resolve/main/${file}`, size, sha256, sha1, kind };
}

interface Override {
  name: string;
  url?: string;
  file?: string;
  size?: number | null;
  sha256?: string | null;
  sha1?: string | null;
}

function readOverrides(path: string): Override[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    // the server's own configuration, not the request's fault: internal_error (500)
    throw new SonaError("internal_error", `SONA_REGISTRY_FILE ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data) || !data.every((o) => typeof o?.name === "string" && o.name !== "")) {
    throw new SonaError("internal_error", `SONA_REGISTRY_FILE ${path}: expected a JSON array of {name, url?, file?, size?, sha256?, sha1?}`);
  }
  return data as Override[];
}

/** every known model, with SONA_REGISTRY_FILE's entries merged in (by name) */
export function listRegistry(env: Env = process.env): ModelEntry[] {
  const entries = new Map<string, ModelEntry>();
  for (const row of WHISPER) entries.set(row[0], fromRow(WHISPER_REPO, row, env));
  for (const row of VAD) entries.set(row[0], fromRow(VAD_REPO, row, env));
  const overridePath = setting("SONA_REGISTRY_FILE", env);
  if (overridePath) {
    for (const o of readOverrides(overridePath)) {
      const base = entries.get(o.name) ?? fromRow(WHISPER_REPO, [o.name, null, null, null], env);
      const file = o.file ?? base.file;
      const url = o.url ?? base.url.replace(/[^/]*$/, file);
      entries.set(o.name, {
        name: o.name,
        file,
        url,
        size: o.size !== undefined ? o.size : base.size,
        sha256: o.sha256 !== undefined ? o.sha256 : base.sha256,
        sha1: o.sha1 !== undefined ? o.sha1 : base.sha1,
        kind: base.kind,
      });
    }
  }
  return [...entries.values()];
}

/** a registry entry by name; "ggml-base.en.bin" is accepted for "base.en" */
export function findModel(name: string, env: Env = process.env): ModelEntry | undefined {
  const all = listRegistry(env);
  return all.find((e) => e.name === name) ?? all.find((e) => e.file === name);
}

/** the checksum to verify against: sha256 when published, else sha1, else null (size only) */
export function expectedDigest(entry: Pick<ModelEntry, "sha256" | "sha1">): Digest | null {
  if (entry.sha256) return { algo: "sha256", hex: entry.sha256.toLowerCase() };
  if (entry.sha1) return { algo: "sha1", hex: entry.sha1.toLowerCase() };
  return null;
}
