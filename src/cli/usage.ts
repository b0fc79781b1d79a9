// A usage error: a bad flag or argument, which cli/index.ts reports with a hint and exit code 2.
// Its own module, so that the commands can throw it without importing cli/index.ts, which imports them.
export class UsageError extends Error {}
