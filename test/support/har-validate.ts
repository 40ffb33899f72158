// HAR 1.2 validation with har-schema 2.0.0 (the schemas of the har-validator package,
// JSON Schema draft-06) under ajv 8, which needs the draft-06 meta-schema added.
import { createRequire } from "node:module";
import AjvModule from "ajv";

const require = createRequire(import.meta.url);
const schemas = require("har-schema") as Record<string, { $id: string }>;
const draft6 = require("ajv/lib/refs/json-schema-draft-06.json");

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
// har-schema uses keywords of its own ("optional") and loose types: strict mode off, formats not checked.
const ajv = new (Ajv as unknown as new (o: object) => import("ajv").default)({ strict: false, allErrors: true, validateFormats: false });
ajv.addMetaSchema(draft6);
for (const s of Object.values(schemas)) ajv.addSchema(s);
const validate = ajv.getSchema("har.json#")!;

/** The errors of a HAR document against har-schema (empty: valid). */
export function harErrors(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
