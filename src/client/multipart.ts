// multipart/form-data, written by hand so that the file streams from disk (or from a Blob) with an
// exact Content-Length: an hour of audio is never held in memory, and the server can refuse an
// oversized upload from the header alone.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { FieldValue } from "./types.ts";

/** A file path, a Blob (a File keeps its name) or bytes. */
export type AudioInput = string | Blob | Uint8Array | ArrayBuffer;

const encoder = new TextEncoder();

// What browsers do in a Content-Disposition parameter: percent-escape the quote and line breaks.
const quote = (s: string) => s.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

export interface Multipart {
  contentType: string;
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

interface Source {
  name: string;
  size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

async function source(file: AudioInput): Promise<Source> {
  if (typeof file === "string") {
    const info = await stat(file); // a missing file rejects here with the usual ENOENT error
    return { name: basename(file), size: info.size, chunks: () => createReadStream(file, { highWaterMark: 64 * 1024 }) };
  }
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) {
    const bytes = file instanceof ArrayBuffer ? new Uint8Array(file) : file;
    return { name: "audio", size: bytes.byteLength, chunks: async function* () { yield bytes; } };
  }
  if (typeof Blob !== "undefined" && file instanceof Blob) {
    const name = (file as Blob & { name?: unknown }).name;
    return {
      name: typeof name === "string" && name ? basename(name) : "audio",
      size: file.size,
      chunks: () => file.stream() as unknown as AsyncIterable<Uint8Array>,
    };
  }
  throw new TypeError("file must be a path, a Blob or a Uint8Array");
}

/** Form values: booleans as true/false, arrays repeated, null/undefined left out. */
export function formEntries(fields: Record<string, FieldValue>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) out.push([name, String(v)]);
  }
  return out;
}

export async function multipart(fields: Array<[string, string]>, file: AudioInput): Promise<Multipart> {
  const src = await source(file);
  const boundary = `sona-client-${randomBytes(16).toString("hex")}`;
  let head = "";
  for (const [name, value] of fields) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quote(src.name)}"\r\n`;
  head += "Content-Type: application/octet-stream\r\n\r\n";
  const headBytes = encoder.encode(head);
  const tailBytes = encoder.encode(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    size: headBytes.byteLength + src.size + tailBytes.byteLength,
    async *chunks() {
      yield headBytes;
      let sent = 0;
      for await (const chunk of src.chunks()) {
        sent += chunk.byteLength;
        yield chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
      }
      if (sent !== src.size) throw new Error(`the audio changed while it was being sent (${sent} of ${src.size} bytes)`);
      yield tailBytes;
    },
  };
}
