// A real client: the official OpenAI Node SDK against the reask gateway.
// gateway/node_test.go starts the gateway in front of the simulator and runs
// this script with GATEWAY_URL and GATEWAY_KEY set; it prints one JSON
// object with what each request returned, and the Go test checks it.
import OpenAI from "openai";

const baseURL = process.env.GATEWAY_URL;
const apiKey = process.env.GATEWAY_KEY;
if (!baseURL || !apiKey) {
  console.error("set GATEWAY_URL and GATEWAY_KEY");
  process.exit(2);
}

// The gateway owns retries: the SDK's are off.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });

const person = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer" },
    email: { type: "string" },
  },
  required: ["name", "age", "email"],
  additionalProperties: false,
};

const messages = [
  { role: "system", content: "Extract the person's details." },
  { role: "user", content: "Contact John Doe, age 30, at john@email.com" },
];

const responseFormat = {
  type: "json_schema",
  json_schema: { name: "person", schema: person, strict: false },
};

const out = {};

// 1. Schema-enforced: the content is valid JSON; the headers say what it took.
{
  const { data, response } = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages, response_format: responseFormat, temperature: 0, seed: 1 })
    .withResponse();
  out.schema = {
    content: data.choices[0].message.content,
    parsed: JSON.parse(data.choices[0].message.content),
    finish_reason: data.choices[0].finish_reason,
    usage: data.usage,
    attempts: Number(response.headers.get("x-reask-attempts")),
    repairs: Number(response.headers.get("x-reask-repairs")),
    wasted: Number(response.headers.get("x-reask-wasted-tokens")),
  };
}

// 2. Pass-through: no schema, the upstream's answer as is.
{
  const data = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello" }],
  });
  out.passthrough = { content: data.choices[0].message.content, id: data.id };
}

// 3. Streamed without a schema: copied through as it arrives.
{
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  out.stream = { text, chunks, usage };
}

// 4. Streamed with a schema: validated first, then streamed.
{
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages,
    response_format: responseFormat,
    stream: true,
  });
  let text = "";
  let finish = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  out.schema_stream = { text, parsed: JSON.parse(text), finish_reason: finish };
}

// 5. A forced tool: the arguments are the valid JSON.
{
  const data = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages,
    tools: [{ type: "function", function: { name: "record_person", parameters: person } }],
    tool_choice: { type: "function", function: { name: "record_person" } },
  });
  const call = data.choices[0].message.tool_calls[0];
  out.tool = { name: call.function.name, parsed: JSON.parse(call.function.arguments), finish_reason: data.choices[0].finish_reason };
}

// 6. Exhausted: the SDK raises an APIError with status 422 and our code.
try {
  await client.chat.completions.create({ model: "gpt-4o", messages, response_format: responseFormat });
  out.exhausted = { error: "no error" };
} catch (err) {
  out.exhausted = {
    is_api_error: err instanceof OpenAI.APIError,
    status: err.status,
    code: err.code,
    type: err.type,
    violations: err.error?.violations?.length ?? 0,
  };
}

// 7. A wrong key: an AuthenticationError.
try {
  const bad = new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 });
  await bad.models.list();
  out.unauthorized = { error: "no error" };
} catch (err) {
  out.unauthorized = { is_auth_error: err instanceof OpenAI.AuthenticationError, status: err.status };
}

// 8. The model list.
{
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  out.models = ids;
}

// 9. JSON mode (json_object, no schema) with no message saying "json": the
// gateway adds the word OpenAI wants and returns one JSON object, plain and
// streamed.
{
  const jsonMessages = [{ role: "user", content: "Contact John Doe, age 30, at john@email.com" }];
  const { data, response } = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: jsonMessages, response_format: { type: "json_object" } })
    .withResponse();
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: jsonMessages,
    response_format: { type: "json_object" },
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  out.json_object = {
    parsed: JSON.parse(data.choices[0].message.content),
    attempts: Number(response.headers.get("x-reask-attempts")),
    streamed: JSON.parse(text),
  };
}

console.log(JSON.stringify(out));
