// The official OpenAI Node SDK's streaming helper against the gateway's
// live streams (x-reask-stream: live). gateway/live_node_test.go starts the
// gateway in front of a simulator whose first answers lack a field, runs
// this script with GATEWAY_URL and GATEWAY_KEY set, and checks the JSON
// object it prints.
import OpenAI from "openai";

const baseURL = process.env.GATEWAY_URL;
const apiKey = process.env.GATEWAY_KEY;
if (!baseURL || !apiKey) {
  console.error("set GATEWAY_URL and GATEWAY_KEY");
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });

const person = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer" }, email: { type: "string" } },
  required: ["name", "age", "email"],
  additionalProperties: false,
};

// chat.completions.stream is the SDK's streaming helper: it gathers the
// chunks into a snapshot and gives the final completion. A client of a
// live stream also watches each chunk for reask's restart extension and
// starts its own copy of the answer over when it comes.
const stream = client.chat.completions.stream(
  {
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Extract the person's details." },
      { role: "user", content: "Contact John Doe, age 30, at john@email.com" },
    ],
    response_format: { type: "json_schema", json_schema: { name: "person", schema: person, strict: false } },
    stream_options: { include_usage: true },
  },
  { headers: { "x-reask-stream": "live" } },
);
let answer = "";
const restarts = [];
let deltas = 0;
stream.on("chunk", (chunk) => {
  if (chunk.reask?.restart) {
    restarts.push(chunk.reask);
    answer = "";
    return;
  }
  const d = chunk.choices[0]?.delta?.content;
  if (d) {
    answer += d;
    deltas++;
  }
});
const final = await stream.finalChatCompletion();
console.log(
  JSON.stringify({
    answer,
    parsed: JSON.parse(answer),
    restarts,
    deltas,
    finish_reason: final.choices[0].finish_reason,
    final_content: final.choices[0].message.content,
    usage: final.usage,
  }),
);
