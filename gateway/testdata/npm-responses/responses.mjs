// Real clients of the Responses API against the reask gateway: the
// official OpenAI Node SDK (responses.parse with zodTextFormat, its stream
// helper, a forced function tool) and the Vercel AI SDK's default OpenAI
// provider, which speaks the Responses API (generateObject, streamObject).
// gateway/responses_node_test.go starts the gateway in front of the
// simulator and runs this script with GATEWAY_URL, GATEWAY_KEY and
// EXTRACTIONS set; it prints one JSON object — for each client, what each
// extraction returned and what it should have — and the Go test checks it.
import OpenAI from "openai";
import { zodResponsesFunction, zodTextFormat } from "openai/helpers/zod";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, streamObject } from "ai";
import { z } from "zod";

const baseURL = process.env.GATEWAY_URL;
const apiKey = process.env.GATEWAY_KEY;
const extractions = Number(process.env.EXTRACTIONS || "5");
if (!baseURL || !apiKey) {
  console.error("set GATEWAY_URL and GATEWAY_KEY");
  process.exit(2);
}

// The gateway owns retries: the SDKs' are off.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const openai = createOpenAI({ baseURL, apiKey });

const Account = z.object({
  name: z.string(),
  age: z.number().int(),
  plan: z.enum(["free", "pro", "enterprise"]),
  active: z.boolean(),
  address: z.object({ city: z.string(), zip: z.string() }),
});

const accounts = [
  {
    text: "Contact John Doe, age 30. Plan: pro. Active: yes. Ships to 12 Elm Rd, Boston, MA 02118.",
    want: { name: "John Doe", age: 30, plan: "pro", active: true, address: { city: "Boston", zip: "02118" } },
  },
  {
    text: "Contact Mary Major, age 41. Plan: enterprise. Active: false. Ships to 9 Oak St, Denver, CO 80202.",
    want: { name: "Mary Major", age: 41, plan: "enterprise", active: false, address: { city: "Denver", zip: "80202" } },
  },
  {
    text: "Contact Ali Khan, age 25. Plan: free. Active: yes. Ships to 3 Pine Ave, Austin, TX 73301.",
    want: { name: "Ali Khan", age: 25, plan: "free", active: true, address: { city: "Austin", zip: "73301" } },
  },
];

const system = "Extract the account.";
const input = (a) => [
  { role: "system", content: system },
  { role: "user", content: [{ type: "input_text", text: "Text: " + a.text }] },
];

const out = {};

// each runs extractions with fn, cycling through the accounts, and keeps
// what each returned (or the error it threw) beside what it should have.
async function each(name, fn) {
  const results = [];
  for (let i = 0; i < extractions; i++) {
    const a = accounts[i % accounts.length];
    try {
      results.push({ got: await fn(a), want: a.want });
    } catch (err) {
      results.push({ error: String(err?.message ?? err), status: err?.status ?? 0, want: a.want });
    }
  }
  out[name] = results;
}

await each("responses_parse", async (a) => {
  const r = await client.responses.parse({ model: "gpt-4o-mini", input: input(a), text: { format: zodTextFormat(Account, "account") } });
  return r.output_parsed;
});

await each("responses_stream", async (a) => {
  const stream = client.responses.stream({ model: "gpt-4o-mini", input: input(a), text: { format: zodTextFormat(Account, "account") } });
  let deltas = 0;
  for await (const ev of stream) if (ev.type === "response.output_text.delta") deltas++;
  if (deltas === 0) throw new Error("no output_text deltas");
  return (await stream.finalResponse()).output_parsed;
});

// openai 6.30's parse nests the item in parsed_arguments, so the
// arguments are parsed here.
await each("responses_tool", async (a) => {
  const r = await client.responses.parse({
    model: "gpt-4o-mini",
    input: input(a),
    tools: [zodResponsesFunction({ name: "save_account", parameters: Account })],
    tool_choice: { type: "function", name: "save_account" },
  });
  const call = r.output.find((it) => it.type === "function_call");
  if (!call || call.name !== "save_account" || !call.call_id) throw new Error("no save_account call: " + JSON.stringify(r.output));
  return Account.parse(JSON.parse(call.arguments));
});

await each("vercel_generate_object", async (a) => {
  const r = await generateObject({ model: openai("gpt-4o-mini"), schema: Account, system, prompt: "Text: " + a.text, maxRetries: 0 });
  if (r.finishReason !== "stop" || !r.response?.id) throw new Error("finish " + r.finishReason + ", id " + r.response?.id);
  return r.object;
});

await each("vercel_stream_object", async (a) => {
  const r = streamObject({ model: openai("gpt-4o-mini"), schema: Account, system, prompt: "Text: " + a.text, maxRetries: 0 });
  let partials = 0;
  for await (const _ of r.partialObjectStream) partials++;
  if (partials === 0) throw new Error("no partial objects");
  return await r.object;
});

console.log(JSON.stringify(out));
