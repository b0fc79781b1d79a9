// Results on stdout. A reader that stops early (`sona ... | head -1`) closes the pipe: that ends
// the run quietly, as it does for cat or grep, instead of a stack trace about EPIPE.
let guarded = false;

function quietOnEpipe(err: NodeJS.ErrnoException): void {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
}

export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", quietOnEpipe);
}

export function writeStdout(text: string): void {
  if (!text) return;
  guardStdout();
  try {
    process.stdout.write(text);
  } catch (err) {
    quietOnEpipe(err as NodeJS.ErrnoException);
  }
}
