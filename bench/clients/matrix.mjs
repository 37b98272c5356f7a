// The client matrix of issue 13: each row is a client library people use
// (pinned in package-lock.json) and the way it asks for structured output,
// run over the simulator's labelled data set through `reask serve` in front
// of `reask sim --profile hostile`. Every row gets a fresh simulator and
// gateway (same seed), so rows meet the same faults for the same request
// number, the hostile profile's outage (at minute 1) included. One item at
// a time (the default) makes a run repeat exactly: the simulator is seeded
// and sees the same requests in the same order. run.sh
// builds the binary, writes the data set, installs the clients and runs
// this; it prints a Markdown table.
//
//   node matrix.mjs --reask BIN --data DIR [--rows a,b] [--concurrency 1]
//     [--seed 1] [--profile hostile] [--serve-flags "--json-object passthrough"]
//     [--json FILE]
//
// Each client is used as its documentation shows, changing only the base
// URL and the key: its own retries stay at their defaults. The prompt is
// the item's text as the user message (the schema travels in the request)
// except for LangChain's jsonMode, which sends no schema: there a system
// message gives it, without the word "json" (as a user of jsonMode may
// write it). instructor-js runs as bench/peers runs it: max_retries 3.
//
// "Valid and correct" is an answer equal to the gold answer as a JSON
// value (members in any order, numbers by value), the comparison
// bench/peers makes; the gold answers are valid against the schemas, so
// an equal answer is valid too.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { schemas as zodSchemas } from './schemas.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const reaskBin = opt('--reask');
const dataDir = opt('--data');
const concurrency = Number(opt('--concurrency', '1'));
const seed = opt('--seed', '1');
const profile = opt('--profile', 'hostile');
const serveFlags = opt('--serve-flags', '').split(/\s+/).filter(Boolean);
const jsonOut = opt('--json');
const model = 'gpt-4o-mini';
// The AI SDK warns on stdout that @ai-sdk/openai-compatible's default
// drops the schema (see the row); the table says so.
globalThis.AI_SDK_LOG_WARNINGS = false;
if (!reaskBin || !dataDir || !(concurrency > 0)) {
  console.error('usage: node matrix.mjs --reask BIN --data DIR [--rows a,b] [--concurrency N] [--seed S] [--profile P] [--serve-flags "..."] [--json FILE]');
  process.exit(2);
}

const readLines = (file) =>
  fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const items = readLines(path.join(dataDir, 'items.jsonl'));
const gold = new Map(readLines(path.join(dataDir, 'gold.jsonl')).map((g) => [g.id, g.gold]));
const jsonSchemas = {};
for (const f of fs.readdirSync(path.join(dataDir, 'schemas'))) {
  jsonSchemas[path.basename(f, '.json')] = JSON.parse(fs.readFileSync(path.join(dataDir, 'schemas', f), 'utf8'));
}

const user = (item) => [{ role: 'user', content: item.text }];
const zodOf = (item) => zodSchemas[item.schema]; // [schema, name]

// Each row: the client, the path, and make(baseURL) => async (item) => value.
const rows = [
  {
    id: 'openai-create-json-schema', client: '`openai` npm', path: '`chat.completions.create` json_schema',
    make: async (baseURL) => {
      const client = await openaiClient(baseURL);
      return async (item) => {
        const [, name] = zodOf(item);
        const c = await client.chat.completions.create({
          model, messages: user(item),
          response_format: { type: 'json_schema', json_schema: { name, schema: jsonSchemas[item.schema], strict: true } },
        });
        return JSON.parse(c.choices[0].message.content);
      };
    },
  },
  {
    id: 'openai-create-tool', client: '', path: '`chat.completions.create` forced tool',
    make: async (baseURL) => {
      const client = await openaiClient(baseURL);
      return async (item) => {
        const [, name] = zodOf(item);
        const c = await client.chat.completions.create({
          model, messages: user(item),
          tools: [{ type: 'function', function: { name, parameters: jsonSchemas[item.schema], strict: true } }],
          tool_choice: { type: 'function', function: { name } },
        });
        return JSON.parse(c.choices[0].message.tool_calls[0].function.arguments);
      };
    },
  },
  {
    id: 'openai-parse', client: '', path: '`chat.completions.parse` + `zodResponseFormat`',
    make: async (baseURL) => {
      const client = await openaiClient(baseURL);
      const { zodResponseFormat } = await import('openai/helpers/zod');
      return async (item) => {
        const [schema, name] = zodOf(item);
        const c = await client.chat.completions.parse({ model, messages: user(item), response_format: zodResponseFormat(schema, name) });
        return c.choices[0].message.parsed;
      };
    },
  },
  {
    id: 'openai-stream', client: '', path: '`chat.completions.stream` helper',
    make: async (baseURL) => {
      const client = await openaiClient(baseURL);
      const { zodResponseFormat } = await import('openai/helpers/zod');
      return async (item) => {
        const [schema, name] = zodOf(item);
        const stream = client.chat.completions.stream({ model, messages: user(item), response_format: zodResponseFormat(schema, name) });
        const c = await stream.finalChatCompletion();
        return c.choices[0].message.parsed;
      };
    },
  },
  {
    id: 'openai-responses-parse', client: '', path: '`responses.parse` + `zodTextFormat`',
    make: async (baseURL) => {
      const client = await openaiClient(baseURL);
      const { zodTextFormat } = await import('openai/helpers/zod');
      return async (item) => {
        const [schema, name] = zodOf(item);
        const r = await client.responses.parse({ model, input: item.text, text: { format: zodTextFormat(schema, name) } });
        return r.output_parsed;
      };
    },
  },
  {
    id: 'ai-generateObject-responses', client: 'Vercel `ai` + `@ai-sdk/openai`', path: '`generateObject`, default `openai(model)` (Responses API)',
    make: async (baseURL) => {
      const { generateObject } = await import('ai');
      const openai = await aiOpenAI(baseURL);
      return async (item) => (await generateObject({ model: openai(model), schema: zodOf(item)[0], messages: user(item) })).object;
    },
  },
  {
    id: 'ai-generateObject-chat', client: '', path: '`generateObject`, `openai.chat(model)`',
    make: async (baseURL) => {
      const { generateObject } = await import('ai');
      const openai = await aiOpenAI(baseURL);
      return async (item) => (await generateObject({ model: openai.chat(model), schema: zodOf(item)[0], messages: user(item) })).object;
    },
  },
  {
    id: 'ai-streamObject-chat', client: '', path: '`streamObject`, `openai.chat(model)`',
    make: async (baseURL) => {
      const { streamObject } = await import('ai');
      const openai = await aiOpenAI(baseURL);
      return async (item) => {
        let failure;
        const r = streamObject({ model: openai.chat(model), schema: zodOf(item)[0], messages: user(item), onError: ({ error }) => { failure = error; } });
        for await (const _ of r.partialObjectStream) { /* drain */ }
        if (failure) throw failure;
        return await r.object;
      };
    },
  },
  {
    id: 'ai-compatible-default', client: '`@ai-sdk/openai-compatible`', path: '`generateObject`, default settings (json_object)',
    make: async (baseURL) => {
      const { generateObject } = await import('ai');
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const provider = createOpenAICompatible({ name: 'reask', baseURL, apiKey: 'sk-reask' });
      return async (item) => (await generateObject({ model: provider(model), schema: zodOf(item)[0], messages: user(item) })).object;
    },
  },
  {
    // The same client, its model set to a preset of the gateway's --config
    // (one per data-set schema, "preset-<schema>"): the schema the client
    // cannot send is the operator's (see runRow).
    id: 'ai-compatible-preset', client: '', path: '`generateObject`, default settings, model a gateway preset',
    presets: true,
    make: async (baseURL) => {
      const { generateObject } = await import('ai');
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const provider = createOpenAICompatible({ name: 'reask', baseURL, apiKey: 'sk-reask' });
      return async (item) => (await generateObject({ model: provider(`preset-${item.schema}`), schema: zodOf(item)[0], messages: user(item) })).object;
    },
  },
  {
    id: 'ai-compatible-structured', client: '', path: '`generateObject`, `supportsStructuredOutputs: true` (json_schema)',
    make: async (baseURL) => {
      const { generateObject } = await import('ai');
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const provider = createOpenAICompatible({ name: 'reask', baseURL, apiKey: 'sk-reask', supportsStructuredOutputs: true });
      return async (item) => (await generateObject({ model: provider(model), schema: zodOf(item)[0], messages: user(item) })).object;
    },
  },
  ...['default', 'functionCalling', 'jsonMode'].map((method, i) => ({
    id: `langchain-${method}`, client: i === 0 ? '`@langchain/openai`' : '', path: `\`withStructuredOutput\` ${method === 'default' ? 'default' : method}`,
    make: async (baseURL) => {
      const { ChatOpenAI } = await import('@langchain/openai');
      const llm = new ChatOpenAI({ model, apiKey: 'sk-reask', configuration: { baseURL } });
      return async (item) => {
        const [schema, name] = zodOf(item);
        const structured = llm.withStructuredOutput(schema, method === 'default' ? { name } : { name, method });
        const msgs = method === 'jsonMode'
          ? [{ role: 'system', content: `Extract the fields of this schema from the text: ${JSON.stringify(jsonSchemas[item.schema])}` }, ...user(item)]
          : user(item);
        return await structured.invoke(msgs);
      };
    },
  })),
  ...['TOOLS', 'JSON', 'MD_JSON'].map((mode, i) => ({
    id: `instructor-${mode.toLowerCase().replace('_', '-')}`, client: i === 0 ? '`@instructor-ai/instructor`' : '', path: mode,
    make: async (baseURL) => {
      const { default: Instructor } = await import('@instructor-ai/instructor');
      const client = Instructor({ client: await openaiClient(baseURL), mode });
      return async (item) => {
        const [schema, name] = zodOf(item);
        const out = await client.chat.completions.create({ model, messages: user(item), response_model: { schema, name }, max_retries: 3 });
        delete out._meta;
        return out;
      };
    },
  })),
];

async function openaiClient(baseURL) {
  const { default: OpenAI } = await import('openai');
  return new OpenAI({ baseURL, apiKey: 'sk-reask' });
}

async function aiOpenAI(baseURL) {
  const { createOpenAI } = await import('@ai-sdk/openai');
  return createOpenAI({ baseURL, apiKey: 'sk-reask' });
}

// canonical writes a JSON value with object members sorted, so that two
// values compare as JSON values.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// start runs a reask command and resolves with the base URL it prints on
// stderr (pattern), rejecting if it exits first.
function start(argv, pattern, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(reaskBin, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let log = '';
    const onData = (b) => {
      log += b;
      const m = log.match(pattern);
      if (m) {
        p.stderr.off('data', onData);
        p.stderr.resume(); // keep draining
        resolve({ proc: p, url: m[1] });
      }
    };
    p.stderr.on('data', onData);
    p.on('exit', (code) => reject(new Error(`reask ${argv[0]} exited (${code}): ${log.trim()}`)));
    p.on('error', reject);
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.on('exit', resolve);
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  });
}

// shortError is an error as one short line, its numbers kept.
function shortError(e) {
  const msg = String(e?.message ?? e).split('\n')[0].replace(/\s+/g, ' ').slice(0, 110);
  return `${e?.constructor?.name ?? 'Error'}: ${msg}`;
}

async function runRow(row) {
  const running = [];
  try {
    const simP = await start(['sim', '--addr', '127.0.0.1:0', '--profile', profile, '--seed', seed], /on (http:\/\/\S+\/v1)/);
    running.push(simP.proc);
    let upstream = ['--upstream', simP.url];
    if (row.presets) {
      // A --config with the simulator as the catch-all upstream and a
      // preset per data-set schema, its file read from the data set.
      const presets = Object.keys(jsonSchemas).map((s) => ({
        name: `preset-${s}`, model, schema_file: path.resolve(dataDir, 'schemas', `${s}.json`),
      }));
      const file = path.resolve(`gateway-${row.id}.json`);
      fs.writeFileSync(file, JSON.stringify({ upstreams: [{ name: 'sim', base_url: simP.url }], presets }));
      upstream = ['--config', file];
    }
    const gw = await start(['serve', '--addr', '127.0.0.1:0', ...upstream, ...serveFlags], /gateway on (http:\/\/\S+\/v1)/,
      { REASK_UPSTREAM_API_KEY: 'sk-sim', REASK_CLIENT_KEYS: '' });
    running.push(gw.proc);
    const extract = await row.make(gw.url);
    const results = new Array(items.length);
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        const item = items[i];
        try {
          const value = await extract(item);
          results[i] = { id: item.id, ok: canonical(value) === canonical(gold.get(item.id)), value };
        } catch (e) {
          results[i] = { id: item.id, error: shortError(e) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    const errors = {};
    for (const r of results) if (r.error) errors[r.error] = (errors[r.error] ?? 0) + 1;
    return {
      row, n: items.length, ok: results.filter((r) => r.ok).length,
      wrong: results.filter((r) => !r.error && !r.ok).length, errors, seconds: (performance.now() - t0) / 1000, results,
    };
  } catch (e) {
    return { row, n: items.length, ok: 0, wrong: 0, errors: { [`setup: ${shortError(e)}`]: items.length }, seconds: 0, results: [] };
  } finally {
    for (const p of running.reverse()) await stop(p);
  }
}

const only = opt('--rows', '').split(',').filter(Boolean);
const chosen = only.length ? rows.filter((r) => only.includes(r.id)) : rows;
if (only.length && chosen.length !== only.length) {
  console.error(`unknown row in --rows; rows: ${rows.map((r) => r.id).join(', ')}`);
  process.exit(2);
}
const out = [];
for (const row of chosen) {
  const r = await runRow(row);
  out.push(r);
  console.error(`clients: ${row.id}: ${r.ok}/${r.n} valid and correct, ${r.wrong} wrong, ${r.n - r.ok - r.wrong} errors, ${r.seconds.toFixed(1)}s`);
}
if (jsonOut) fs.writeFileSync(jsonOut, out.map(({ row, ...r }) => JSON.stringify({ id: row.id, ...r })).join('\n') + '\n');

const cell = (s) => s.replace(/\|/g, '\\|');
console.log(`| client | path | valid and correct of ${items.length} | wrong | failed | why (most common) |`);
console.log('|---|---|---|---|---|---|');
for (const r of out) {
  const failed = r.n - r.ok - r.wrong;
  const why = Object.entries(r.errors).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([m, n]) => `${n}× ${cell(m)}`).join('; ');
  console.log(`| ${r.row.client} | ${r.row.path} | ${r.ok} | ${r.wrong} | ${failed} | ${why} |`);
}
