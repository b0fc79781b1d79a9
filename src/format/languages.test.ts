import { expect, test } from "bun:test";
import { LANGUAGES, languageCode, languageName, WHISPER_LANGUAGES } from "./languages.ts";

test("the table is whisper.cpp's: 100 languages, unique codes and names, en first, yue last", () => {
  expect(WHISPER_LANGUAGES).toHaveLength(100);
  expect(new Set(WHISPER_LANGUAGES.map(([c]) => c)).size).toBe(100);
  expect(new Set(WHISPER_LANGUAGES.map(([, n]) => n)).size).toBe(100);
  expect(WHISPER_LANGUAGES[0]).toEqual(["en", "english"]);
  expect(WHISPER_LANGUAGES[50]).toEqual(["br", "breton"]);
  expect(WHISPER_LANGUAGES[99]).toEqual(["yue", "cantonese"]);
});

test("code to name", () => {
  expect(languageName("en")).toBe("english");
  expect(languageName("HE")).toBe("hebrew");
  expect(languageName("ht")).toBe("haitian creole");
  expect(languageName("English")).toBe("english");
  expect(languageName("auto")).toBeUndefined();
  expect(languageName("")).toBeUndefined();
  expect(languageName("xx")).toBeUndefined();
});

test("code or name to code", () => {
  expect(languageCode("english")).toBe("en");
  expect(languageCode(" Haitian Creole ")).toBe("ht");
  expect(languageCode("JW")).toBe("jw");
  expect(languageCode("auto")).toBeUndefined();
});

test("LANGUAGES is a lookup object with no inherited keys", () => {
  expect(LANGUAGES.de).toBe("german");
  expect("en" in LANGUAGES).toBe(true);
  expect("constructor" in LANGUAGES).toBe(false);
  expect("toString" in LANGUAGES).toBe(false);
  expect(Object.keys(LANGUAGES)).toHaveLength(100);
});
