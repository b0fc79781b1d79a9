import { describe, expect, test } from "bun:test";
import { estimateWaitMs, RunningJob, UNKNOWN_WAIT_MS } from "./eta.ts";

describe("estimateWaitMs", () => {
  test("no job, or no progress yet: the short default", () => {
    expect(estimateWaitMs(null)).toBe(UNKNOWN_WAIT_MS);
    expect(estimateWaitMs(new RunningJob(0), 30_000)).toBe(UNKNOWN_WAIT_MS);
  });

  test("the time so far over the share done gives the time left", () => {
    const job = new RunningJob(1000);
    job.report(25);
    // 10 s for 25 %: 30 s to go
    expect(estimateWaitMs(job, 11_000)).toBe(30_000);
    job.report(50);
    expect(estimateWaitMs(job, 21_000)).toBe(20_000);
  });

  test("progress never goes back; nearly done is at least 100 ms, a stalled job at most an hour", () => {
    const job = new RunningJob(0);
    job.report(80);
    job.report(40);
    expect(job.progress).toBe(80);
    job.report(100);
    expect(estimateWaitMs(job, 5000)).toBe(100);
    const slow = new RunningJob(0);
    slow.report(1);
    expect(estimateWaitMs(slow, 3_600_000)).toBe(3_600_000);
  });
});
