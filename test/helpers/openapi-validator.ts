// ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1) over a whole OpenAPI document, so a
// response can be checked against the schema the document gives for it, $refs and all.
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";

type Json = Record<string, any>;

// OpenAPI's own document keywords and schema annotations; ajv's strict mode refuses keywords it
// does not know, which catches typos in the schemas but must let these through.
const OPENAPI_KEYWORDS = ["openapi", "info", "servers", "paths", "components", "tags", "security", "webhooks", "example", "discriminator", "xml", "externalDocs", "optional"];
// formats OpenAPI documents use for annotation only (ajv knows none of them without ajv-formats)
const FORMATS: Record<string, true> = { binary: true, double: true, float: true, int64: true, date: true, unixtime: true };

export class OpenApiValidator {
  // strictTypes off: OpenAI's own schemas leave out `type: object` beside `properties` (Model)
  private readonly ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true, formats: FORMATS });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly doc: Json, private readonly id = "openapi.json") {
    this.ajv.addVocabulary(OPENAPI_KEYWORDS);
    this.ajv.addSchema({ ...doc, $id: id });
  }

  /** The validator of the schema at a JSON pointer into the document ("/components/schemas/Error"). */
  at(pointer: string): ValidateFunction {
    let fn = this.cache.get(pointer);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `${this.id}#${pointer}` });
      this.cache.set(pointer, fn);
    }
    return fn;
  }

  /** The validator of a documented response (path template, method, status, media type). */
  response(path: string, method: string, status: number, mediaType: string): ValidateFunction {
    const responses = this.doc.paths?.[path]?.[method.toLowerCase()]?.responses;
    if (!responses) throw new Error(`${method} ${path} is not in the document`);
    if (!responses[status]) throw new Error(`${method} ${path} documents no ${status} response`);
    if (!responses[status].content?.[mediaType]) throw new Error(`${method} ${path} ${status} documents no ${mediaType} body`);
    const esc = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");
    return this.at(`/paths/${esc(path)}/${method.toLowerCase()}/responses/${status}/content/${esc(mediaType)}/schema`);
  }

  /** Throws with ajv's errors unless `value` is valid for `fn`. */
  static check(fn: ValidateFunction, value: unknown, what: string): void {
    if (!fn(value)) throw new Error(`${what} does not match the schema: ${JSON.stringify(fn.errors, null, 1)}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`);
  }
}
