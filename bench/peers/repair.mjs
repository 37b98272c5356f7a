// Runs npm jsonrepair over a corpus of broken answers (JSON lines with "id"
// and "text", written by main.go from sim/dataset.BrokenAnswers) and writes
// one line per answer: {"id", "json"} with jsonrepair's output re-encoded by
// JSON.stringify, or {"id", "error"}. main.go compares the values.
//
//   node repair.mjs CORPUS.jsonl OUT.jsonl
import fs from 'node:fs';
import { jsonrepair } from 'jsonrepair';

const [corpus, outFile] = process.argv.slice(2);
if (!corpus || !outFile) {
  console.error('usage: node repair.mjs CORPUS.jsonl OUT.jsonl');
  process.exit(2);
}
const out = [];
for (const line of fs.readFileSync(corpus, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  try {
    out.push({ id: c.id, json: JSON.stringify(JSON.parse(jsonrepair(c.text))) });
  } catch (e) {
    out.push({ id: c.id, error: String(e?.message ?? e).slice(0, 200) });
  }
}
fs.writeFileSync(outFile, out.map((o) => JSON.stringify(o)).join('\n') + '\n');
