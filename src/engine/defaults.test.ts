import { expect, test } from "bun:test";
import { defaultThreads, slotThreads } from "./defaults.ts";

test("one slot keeps the caller's thread count (or the default); N slots share the cores and cap a request at its share", () => {
  const cores = navigator.hardwareConcurrency;
  expect(slotThreads(1)).toBe(defaultThreads());
  expect(slotThreads(1, 64)).toBe(64);
  const share = Math.max(1, Math.min(8, Math.floor(cores / 2)));
  expect(slotThreads(2)).toBe(share);
  expect(slotThreads(2, 64)).toBe(share);
  expect(slotThreads(2, 1)).toBe(1);
  // more slots than cores: one thread each, never zero
  expect(slotThreads(cores * 4)).toBe(1);
});
