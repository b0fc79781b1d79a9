import { describe, expect, test } from "bun:test";
import { parseDuration, parseSize } from "./units.ts";

describe("parseDuration", () => {
  test("units, compounds, bare seconds and zero", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration(" 5M ")).toBe(300_000);
    expect(parseDuration("0")).toBe(0);
    expect(parseDuration("0s")).toBe(0);
  });

  test("garbage is null", () => {
    for (const bad of ["", "soon", "5 minutes", "-5m", "5d", "m5", "1h 30m", "5mm", "NaN"]) expect(parseDuration(bad)).toBeNull();
  });
});

describe("parseSize", () => {
  test("binary and decimal units", () => {
    expect(parseSize("1GiB")).toBe(1024 ** 3);
    expect(parseSize("1g")).toBe(1024 ** 3);
    expect(parseSize("512MiB")).toBe(512 * 1024 ** 2);
    expect(parseSize("100MB")).toBe(100_000_000);
    expect(parseSize("1048576")).toBe(1048576);
    expect(parseSize("1.5 GiB")).toBe(1.5 * 1024 ** 3);
  });

  test("garbage is null", () => {
    for (const bad of ["", "lots", "1XB", "-1G", "1e9", "G"]) expect(parseSize(bad)).toBeNull();
  });
});
