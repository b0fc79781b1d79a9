// Whisper's languages: ISO-639-1 code (plus "haw" and "yue") and the lower-case English name.
// OpenAI's verbose_json reports the name ("english"), while whisper.cpp and requests use the code,
// so the formatter converts. The position in the list is whisper.cpp's language id (0 = en ...
// 99 = yue, as in whisper.cpp v1.9.1), which keeps the table checkable against the engine.

/** [code, name] pairs in whisper.cpp language-id order. */
export const WHISPER_LANGUAGES: readonly (readonly [code: string, name: string])[] = [
  ["en", "english"], ["zh", "chinese"], ["de", "german"], ["es", "spanish"], ["ru", "russian"],
  ["ko", "korean"], ["fr", "french"], ["ja", "japanese"], ["pt", "portuguese"], ["tr", "turkish"],
  ["pl", "polish"], ["ca", "catalan"], ["nl", "dutch"], ["ar", "arabic"], ["sv", "swedish"],
  ["it", "italian"], ["id", "indonesian"], ["hi", "hindi"], ["fi", "finnish"], ["vi", "vietnamese"],
  ["he", "hebrew"], ["uk", "ukrainian"], ["el", "greek"], ["ms", "malay"], ["cs", "czech"],
  ["ro", "romanian"], ["da", "danish"], ["hu", "hungarian"], ["ta", "tamil"], ["no", "norwegian"],
  ["th", "thai"], ["ur", "urdu"], ["hr", "croatian"], ["bg", "bulgarian"], ["lt", "lithuanian"],
  ["la", "latin"], ["mi", "maori"], ["ml", "malayalam"], ["cy", "welsh"], ["sk", "slovak"],
  ["te", "telugu"], ["fa", "persian"], ["lv", "latvian"], ["bn", "bengali"], ["sr", "serbian"],
  ["az", "azerbaijani"], ["sl", "slovenian"], ["kn", "kannada"], ["et", "estonian"], ["mk", "macedonian"],
  ["br", "breton"], ["eu", "basque"], ["is", "icelandic"], ["hy", "armenian"], ["ne", "nepali"],
  ["mn", "mongolian"], ["bs", "bosnian"], ["kk", "kazakh"], ["sq", "albanian"], ["sw", "swahili"],
  ["gl", "galician"], ["mr", "marathi"], ["pa", "punjabi"], ["si", "sinhala"], ["km", "khmer"],
  ["sn", "shona"], ["yo", "yoruba"], ["so", "somali"], ["af", "afrikaans"], ["oc", "occitan"],
  ["ka", "georgian"], ["be", "belarusian"], ["tg", "tajik"], ["sd", "sindhi"], ["gu", "gujarati"],
  ["am", "amharic"], ["yi", "yiddish"], ["lo", "lao"], ["uz", "uzbek"], ["fo", "faroese"],
  ["ht", "haitian creole"], ["ps", "pashto"], ["tk", "turkmen"], ["nn", "nynorsk"], ["mt", "maltese"],
  ["sa", "sanskrit"], ["lb", "luxembourgish"], ["my", "myanmar"], ["bo", "tibetan"], ["tl", "tagalog"],
  ["mg", "malagasy"], ["as", "assamese"], ["tt", "tatar"], ["haw", "hawaiian"], ["ln", "lingala"],
  ["ha", "hausa"], ["ba", "bashkir"], ["jw", "javanese"], ["su", "sundanese"], ["yue", "cantonese"],
];

/**
 * Code → name as a plain lookup object (`"en" in LANGUAGES`). Null prototype, so inherited keys
 * like "constructor" or "toString" are not mistaken for languages.
 */
export const LANGUAGES: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(WHISPER_LANGUAGES)),
);

const BY_CODE = new Map(WHISPER_LANGUAGES.map(([code, name]) => [code, name] as const));
const BY_NAME = new Map(WHISPER_LANGUAGES.map(([code, name]) => [name, code] as const));

/** "en" → "english"; also accepts a name ("English"). Undefined for "auto", "" or unknown codes. */
export function languageName(codeOrName: string): string | undefined {
  const key = codeOrName.trim().toLowerCase();
  return BY_CODE.get(key) ?? (BY_NAME.has(key) ? key : undefined);
}

/**
 * "english" or "EN" → "en", the form whisper.cpp takes (it also accepts names, but a code keeps
 * logs and responses uniform). Undefined for "auto", "" or unknown values, so callers decide.
 */
export function languageCode(codeOrName: string): string | undefined {
  const key = codeOrName.trim().toLowerCase();
  return BY_CODE.has(key) ? key : BY_NAME.get(key);
}
