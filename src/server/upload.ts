// multipart/form-data -> form fields + the `file` part in a temp file. The body is read chunk by
// chunk and written to disk as it arrives (an hour of WAV is 115 MB; a video can be gigabytes),
// the size limit is checked while streaming, and the temp file is removed on every failure path;
// on success the caller owns it and calls dispose().
import { Busboy, type BusboyFileStream } from "@fastify/busboy";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { SonaError } from "../errors.ts";
import { discardRest } from "./discard.ts";

/** Room for the form's other fields and the part headers on top of the file itself. */
export const FORM_OVERHEAD_BYTES = 1024 * 1024;
const MAX_FIELD_BYTES = 256 * 1024; // a prompt of 100,000 characters still fits

export type FormFields = Record<string, string | string[]>;

export interface Upload {
  fields: FormFields;
  file: { path: string; bytes: number; filename: string };
  /** removes the temp file; safe to call more than once */
  dispose(): Promise<void>;
}

export interface UploadOptions {
  maxFileBytes: number;
  tmpDir: string;
  signal?: AbortSignal;
  /** end an upload that sends nothing for this long (0: never); a slow but moving one goes on */
  idleTimeoutMs?: number;
}

const tooLarge = (max: number) =>
  new SonaError("too_large", `uploaded file is too large (the limit is ${max} bytes; see sona serve --max-upload)`, { param: "file" });
const invalid = (message: string, param = "file") => new SonaError("invalid_request", message, { param });

/** Fails fast, before any byte of the body is read, on what the headers already tell. */
export function checkUploadHeaders(headers: Headers, maxFileBytes: number): void {
  const type = headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(type)) {
    throw invalid(`expected a multipart/form-data body with a 'file' field, got ${type ? `'${type.split(";")[0]}'` : "no content type"}`);
  }
  const length = Number(headers.get("content-length") ?? "0");
  if (length > maxFileBytes + FORM_OVERHEAD_BYTES) throw tooLarge(maxFileBytes);
}

export async function receiveUpload(request: Request, opts: UploadOptions): Promise<Upload> {
  checkUploadHeaders(request.headers, opts.maxFileBytes);
  const path = join(opts.tmpDir, `sona-upload-${randomUUID()}`);
  const dispose = () => rm(path, { force: true });
  const fields: FormFields = {};
  let file: Upload["file"] | undefined;
  let failure: SonaError | undefined;
  let signalFailure!: () => void;
  // a failure must also end a wait for busboy's 'drain', which never comes once nobody reads the file
  const failed = new Promise<void>((resolve) => (signalFailure = resolve));
  const fail = (err: SonaError) => {
    failure ??= err;
    signalFailure();
  };
  const fileWrites: Promise<void>[] = [];
  const fileStreams: BusboyFileStream[] = [];

  const parser = Busboy({
    headers: { "content-type": request.headers.get("content-type")! },
    // a `file` part without a filename is still the upload (some clients leave the name out)
    isPartAFile: (name, _type, filename) => name === "file" || filename !== undefined,
    limits: { fileSize: opts.maxFileBytes, fieldSize: MAX_FIELD_BYTES, fields: 200, parts: 256, headerPairs: 64 },
  });
  parser.on("field", (name, value, _nameTruncated, valueTruncated) => {
    if (valueTruncated) return fail(invalid(`form field '${name}' is longer than ${MAX_FIELD_BYTES} bytes`, name));
    const prev = fields[name];
    fields[name] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  });
  parser.on("file", (name, stream, filename) => {
    if (name !== "file") return void stream.resume(); // unknown parts are ignored, like unknown fields
    if (file) {
      stream.resume();
      return fail(invalid("the form has more than one 'file' part"));
    }
    file = { path, bytes: 0, filename: filename || "upload" };
    // listeners now, not after the file is open: busboy emits a truncated part's error at once
    // an AbortError comes from our own destroy (a failed write ends the writer's loop); the cause is
    // reported by the writer, and must not be masked as a malformed body
    stream.on("error", (e: Error) => {
      if (e.name !== "AbortError") fail(invalid(`malformed multipart body: ${e.message}`));
    });
    stream.on("limit", () => fail(tooLarge(opts.maxFileBytes)));
    fileStreams.push(stream);
    fileWrites.push(
      writeFile(stream, file, opts.maxFileBytes).catch((e) => {
        stream.resume(); // discard the rest, so busboy does not stall on an unread part
        fail(e instanceof SonaError ? e : writeError(e, opts.tmpDir));
      }),
    );
  });
  parser.on("fieldsLimit", () => fail(invalid("the form has too many fields", "")));
  parser.on("partsLimit", () => fail(invalid("the form has too many parts", "")));

  const parsed = new Promise<void>((resolve, reject) => {
    parser.on("finish", resolve);
    parser.on("error", (e: unknown) => reject(invalid(`malformed multipart body: ${e instanceof Error ? e.message : String(e)}`)));
  });
  parsed.catch(() => {}); // awaited below; a parse error while still feeding must not go unhandled

  const reader = request.body?.getReader();
  try {
    if (!reader) throw invalid("the request has no body");
    let total = 0;
    const limit = opts.maxFileBytes + FORM_OVERHEAD_BYTES;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (failure) throw failure;
      const { done, value } = await readWithin(reader, opts.idleTimeoutMs ?? 0);
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw tooLarge(opts.maxFileBytes);
      // backpressure: busboy (and the file stream behind it) says when to wait
      if (!parser.write(value)) await Promise.race([once(parser, "drain"), parsed, failed]);
    }
    parser.end();
    // a write that fails on the last chunks leaves busboy waiting for a reader that is gone, so
    // 'finish' would never come
    await Promise.race([parsed, failed]);
    if (failure) throw failure;
    await Promise.all(fileWrites);
    if (failure) throw failure;
    if (!file) throw invalid("missing the 'file' field (the audio to transcribe)");
    return { fields, file, dispose };
  } catch (err) {
    if (reader) await discardRest(reader); // so the client gets to read the error (see discard.ts)
    parser.destroy();
    for (const stream of fileStreams) stream.destroy(); // ends the writer's loop, which closes the file
    await Promise.allSettled(fileWrites);
    await dispose();
    if (err instanceof SonaError) throw err;
    if (opts.signal?.aborted) throw new SonaError("aborted", "the client went away during the upload");
    throw invalid(`the upload was interrupted: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** reader.read(), or a 408 once the client has sent nothing for `ms` (a stalled upload would hold the gate) */
async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> {
  if (!(ms > 0)) return reader.read();
  let timer: Timer | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const seconds = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
      reject(new SonaError("timeout", `the upload stalled: nothing received for ${seconds} (sona serve --upload-idle-timeout)`, { param: "file" }));
    }, ms);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

async function writeFile(stream: BusboyFileStream, file: Upload["file"], max: number): Promise<void> {
  const fh = await open(file.path, "wx", 0o600);
  let truncated = false;
  stream.on("limit", () => (truncated = true));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (truncated) continue; // drain what busboy still hands over; the request fails anyway
      await fh.write(chunk);
      file.bytes += chunk.byteLength;
    }
  } finally {
    await fh.close();
  }
  if (truncated || stream.truncated) throw tooLarge(max);
}

function writeError(e: unknown, dir: string): SonaError {
  const code = (e as NodeJS.ErrnoException).code;
  // a full disk is the server's condition, not the client's fault, and it can pass: 507, not 500
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new SonaError("insufficient_storage", `the temp dir ${dir} is full (${code}); free some space or point sona serve --tmp-dir elsewhere`);
  }
  return new SonaError("internal_error", `cannot write the upload to the temp dir ${dir} (${code ?? String(e)})`);
}
