// Runs one peer over a data set written by `reask sim dataset`, against an
// OpenAI-compatible base URL (the simulator), and writes one line per item:
// {"id", "ok", "data", "error", "ms"}. The Go side (main.go) starts the
// simulator, reads its request and token counts and compares the answers
// with the gold ones, for every system alike.
//
//   node recovery.mjs --system instructor-tools|instructor-json|baml \
//     --base-url http://127.0.0.1:PORT/v1 --items DIR/items.jsonl --out FILE \
//     [--concurrency 8] [--temperature 0|default] [--max-retries 3]
//
// instructor-js: the OpenAI SDK's client with its default retries (2, on
// connection errors, 408, 409, 429 and 5xx), instructor's max_retries 3
// (re-asks on zod validation errors only: an answer that is not JSON ends
// the extraction, as instructor's default retryAllErrors: false does).
// BAML: the generated client (baml_client_js), its openai-generic client
// and retry_policy (baml_src/clients.baml); SIM_BASE_URL is set here.
import fs from 'node:fs';
import readline from 'node:readline';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const system = opt('--system');
const baseURL = opt('--base-url');
const itemsFile = opt('--items');
const outFile = opt('--out');
const concurrency = Number(opt('--concurrency', '8'));
const temperatureOpt = opt('--temperature', '0');
const maxRetries = Number(opt('--max-retries', '3'));
if (!system || !baseURL || !itemsFile || !outFile || !(concurrency > 0)) {
  console.error('usage: node recovery.mjs --system instructor-tools|instructor-json|baml --base-url URL --items FILE --out FILE [--concurrency N] [--temperature 0|default] [--max-retries N]');
  process.exit(2);
}
const temperature = temperatureOpt === 'default' ? undefined : Number(temperatureOpt);

async function readItems(file) {
  const out = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) out.push(JSON.parse(line));
  return out;
}

// extractor returns async (item) => value for the chosen system.
async function extractor() {
  if (system.startsWith('instructor-')) {
    const { default: Instructor } = await import('@instructor-ai/instructor');
    const { default: OpenAI } = await import('openai');
    const { schemas } = await import('./schemas.mjs');
    const mode = { 'instructor-tools': 'TOOLS', 'instructor-json': 'JSON', 'instructor-md-json': 'MD_JSON' }[system];
    if (!mode) throw new Error(`unknown system ${system}`);
    const oai = new OpenAI({ baseURL, apiKey: 'sk-sim' });
    const client = Instructor({ client: oai, mode });
    return async (item) => {
      const [schema, name] = schemas[item.schema];
      const params = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: item.text }],
        response_model: { schema, name },
        max_retries: maxRetries,
      };
      if (temperature !== undefined) params.temperature = temperature;
      const out = await client.chat.completions.create(params);
      delete out._meta;
      return out;
    };
  }
  if (system === 'baml') {
    process.env.SIM_BASE_URL = baseURL;
    const { b } = await import('./baml_client_js/index.js');
    const fns = { contact: 'ExtractContact', review: 'ExtractReview', order: 'ExtractOrder', invoice: 'ExtractInvoice', event: 'ExtractEvent' };
    const { ClientRegistry } = await import('@boundaryml/baml');
    let opts = {};
    if (temperature !== undefined) {
      // The same client as clients.baml's Sim, with the temperature set.
      const cr = new ClientRegistry();
      cr.addLlmClient('SimT', 'openai-generic', { base_url: baseURL, api_key: 'sk-sim', model: 'gpt-4o-mini', temperature }, 'SimRetry');
      cr.setPrimary('SimT');
      opts = { clientRegistry: cr };
    }
    return async (item) => {
      const v = await b[fns[item.schema]](item.text, opts);
      return fromBaml(item.schema, v);
    };
  }
  throw new Error(`unknown system ${system}`);
}

// fromBaml maps BAML's names back to the JSON Schema's: the enum values
// (BAML wants them capitalised; the model sees the aliases) and the field
// "virtual" (a BAML keyword).
function fromBaml(schema, v) {
  const out = JSON.parse(JSON.stringify(v));
  if (schema === 'review' && typeof out.sentiment === 'string') out.sentiment = out.sentiment.toLowerCase();
  if (schema === 'event' && 'is_virtual' in out) {
    const { is_virtual, ...rest } = out;
    return { title: rest.title, date: rest.date, city: rest.city, virtual: is_virtual, capacity: rest.capacity, contact_email: rest.contact_email };
  }
  return out;
}

const items = await readItems(itemsFile);
const extract = await extractor();
const results = new Array(items.length);
let next = 0;
async function worker() {
  for (;;) {
    const i = next++;
    if (i >= items.length) return;
    const item = items[i];
    const t0 = performance.now();
    try {
      const data = await extract(item);
      results[i] = { id: item.id, ok: true, data, ms: performance.now() - t0 };
    } catch (e) {
      const msg = String(e?.message ?? e).split('\n')[0].slice(0, 300);
      results[i] = { id: item.id, ok: false, error: `${e?.constructor?.name ?? 'Error'}: ${msg}`, ms: performance.now() - t0 };
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
fs.writeFileSync(outFile, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
const ok = results.filter((r) => r.ok).length;
console.error(`${system}: ${ok}/${items.length} accepted in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
