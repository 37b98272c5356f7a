// Checks that the zod schemas (schemas.mjs) say what the data set's JSON
// Schemas say: converts each with zod-to-json-schema (what instructor-js
// sends the model) and compares the structure — properties, required,
// types, nullability, enums, bounds, formats, additionalProperties — with
// the JSON Schema in DIR/NAME.json. Exits 1 on a difference.
//
//   node check-schemas.mjs SCHEMA_DIR
import fs from 'node:fs';
import path from 'node:path';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { schemas } from './schemas.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node check-schemas.mjs SCHEMA_DIR');
  process.exit(2);
}

// shape reduces a JSON Schema to what validation depends on.
function shape(s, root) {
  if (s.$ref) return shape(resolve(s.$ref, root), root);
  if (s.anyOf) {
    const parts = s.anyOf.map((x) => shape(x, root));
    const nonNull = parts.filter((p) => p.type !== 'null');
    if (nonNull.length === 1 && parts.length === 2) return { ...nonNull[0], nullable: true };
    return { anyOf: parts };
  }
  let type = s.type;
  let nullable = false;
  if (Array.isArray(type)) {
    nullable = type.includes('null');
    type = type.filter((t) => t !== 'null');
    type = type.length === 1 ? type[0] : type;
  }
  const out = { type };
  if (nullable) out.nullable = true;
  for (const k of ['minimum', 'maximum', 'format', 'enum']) if (s[k] !== undefined) out[k] = s[k];
  if (type === 'object') {
    out.properties = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, shape(v, root)]));
    out.required = [...(s.required ?? [])].sort();
    out.additionalProperties = s.additionalProperties === false ? false : true;
  }
  if (type === 'array') out.items = shape(s.items, root);
  return out;
}
function resolve(ref, root) {
  return ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], root);
}

let bad = 0;
for (const [name, [zod]] of Object.entries(schemas)) {
  const want = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const got = zodToJsonSchema(zod, { $refStrategy: 'none' });
  const a = JSON.stringify(shape(want, want)), b = JSON.stringify(shape(got, got));
  if (a !== b) {
    bad++;
    console.error(`${name}: the zod schema differs from the JSON Schema\n  json schema: ${a}\n  zod:         ${b}`);
  }
}
if (bad) process.exit(1);
console.log(`check-schemas: the ${Object.keys(schemas).length} zod schemas match the JSON Schemas`);
