// Real clients of the Responses API against the simulator: the official
// OpenAI Node SDK (responses.parse with zodTextFormat, its stream helper, a
// forced function tool, a refused previous_response_id) and the Vercel AI
// SDK's default OpenAI provider (generateObject, streamObject).
// sim/node_test.go starts the simulator and runs this script with SIM_URL
// and SIM_KEY set; it prints one JSON object and the Go test checks it.
import OpenAI from "openai";
import { zodResponsesFunction, zodTextFormat } from "openai/helpers/zod";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, streamObject } from "ai";
import { z } from "zod";

const baseURL = process.env.SIM_URL;
const apiKey = process.env.SIM_KEY;
if (!baseURL || !apiKey) {
  console.error("set SIM_URL and SIM_KEY");
  process.exit(2);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

const Account = z.object({
  name: z.string(),
  age: z.number().int(),
  plan: z.enum(["free", "pro", "enterprise"]),
  active: z.boolean(),
  address: z.object({ city: z.string(), zip: z.string() }),
});

const text = "Contact John Doe, age 30. Plan: pro. Active: yes. Ships to 12 Elm Rd, Boston, MA 02118.";
const input = [
  { role: "system", content: "Extract the account." },
  { role: "user", content: [{ type: "input_text", text: "Text: " + text }] },
];

const out = {};

// 1. responses.parse with zodTextFormat: output_parsed is the object.
{
  const r = await client.responses.parse({
    model: "gpt-4o-mini",
    input,
    text: { format: zodTextFormat(Account, "account") },
    temperature: 0,
  });
  out.parse = { parsed: r.output_parsed, status: r.status, output_text: r.output_text, usage: r.usage, id: r.id };
}

// 2. the stream helper: deltas, then the final response, parsed.
{
  const stream = client.responses.stream({
    model: "gpt-4o-mini",
    input,
    text: { format: zodTextFormat(Account, "account") },
    temperature: 0,
  });
  let deltas = 0;
  for await (const ev of stream) {
    if (ev.type === "response.output_text.delta") deltas++;
  }
  const final = await stream.finalResponse();
  out.stream = { parsed: final.output_parsed, status: final.status, deltas };
}

// 3. a forced function tool; its arguments parse to the object. (openai
// 6.30's parse nests the item in parsed_arguments, so they are parsed here.)
{
  const r = await client.responses.parse({
    model: "gpt-4o-mini",
    input,
    tools: [zodResponsesFunction({ name: "save_account", parameters: Account })],
    tool_choice: { type: "function", name: "save_account" },
    temperature: 0,
  });
  const call = r.output[0];
  out.tool = { type: call.type, name: call.name, call_id: call.call_id, parsed: Account.parse(JSON.parse(call.arguments)) };
}

// 4. previous_response_id: a stateless server refuses it.
try {
  await client.responses.create({ model: "gpt-4o-mini", input: "and now?", previous_response_id: out.parse.id });
  out.previous = { refused: false };
} catch (err) {
  out.previous = { refused: err instanceof OpenAI.BadRequestError, status: err.status, code: err.code, param: err.param, message: err.message };
}

// 5. the Vercel AI SDK: the default provider model speaks the Responses API.
const openai = createOpenAI({ baseURL, apiKey });
{
  const r = await generateObject({ model: openai("gpt-4o-mini"), schema: Account, system: "Extract the account.", prompt: "Text: " + text, temperature: 0, maxRetries: 0 });
  out.vercel = { object: r.object, finishReason: r.finishReason, usage: r.usage, responseId: r.response?.id };
}
{
  const r = streamObject({ model: openai("gpt-4o-mini"), schema: Account, system: "Extract the account.", prompt: "Text: " + text, temperature: 0, maxRetries: 0 });
  let partials = 0;
  for await (const _ of r.partialObjectStream) partials++;
  out.vercel_stream = { object: await r.object, finishReason: await r.finishReason, partials };
}

console.log(JSON.stringify(out));
