// Files imported `with { type: "file" | "text" }`: Bun gives their path (or text), and
// `bun build --compile` embeds them in the binary.
declare module "*.whisper.cpp-commit" {
  const text: string;
  export default text;
}
declare module "*.so" {
  const path: string;
  export default path;
}
