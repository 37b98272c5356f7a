// Compares npm jsonrepair with reask's repair package, side by side in one
// run, on the same inputs: throughput on valid and broken LLM-style answers
// of 10 KB, 100 KB and 1 MB (median of several runs), and correctness on
// the three conformance corpora in ../shared/corpora, compared as values.
// Prints a Markdown report. Run it through run.sh.
//
//   node compare.mjs [--runs N] [--min-time-ms MS] [--module DIR] [--corpora DIR]
//
// --min-time-ms (default 200) is the least time one throughput run repeats
// repair for, on both sides; bench/run --smoke passes 1 (one repair a run).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonrepair } from 'jsonrepair';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const runs = Number(opt('--runs', '5'));
const moduleDir = path.resolve(opt('--module', path.join(here, '..', '..')));
const corporaDir = path.resolve(opt('--corpora', path.join(moduleDir, '..', 'shared', 'corpora')));
const sizes = ['10KB', '100KB', '1MB'];
const minTimeMs = Number(opt('--min-time-ms', '200'));
if (!(runs >= 1) || !(minTimeMs >= 0)) {
  console.error('compare: --runs wants a positive number and --min-time-ms one not negative');
  process.exit(2);
}

function run(cmd, cmdArgs) {
  try {
    return execFileSync(cmd, cmdArgs, { cwd: moduleDir, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    console.error(`compare: ${cmd} ${cmdArgs.join(' ')} failed: ${e.message}`);
    process.exit(1);
  }
}

// 1. The inputs, from the Go generator, so both sides read the same bytes.
const inputs = fs.mkdtempSync(path.join(os.tmpdir(), 'repair-bench-'));
run('go', ['run', './repair/internal/repairbench', '-write', inputs]);
const read = (name) => fs.readFileSync(path.join(inputs, name), 'utf8');

// 2. jsonrepair's throughput: each run repeats for at least minTimeMs (at
// least once); the median of the runs is reported, in MB/s of 10^6 bytes
// like Go's benchmarks.
function throughput(text) {
  const bytes = Buffer.byteLength(text);
  const one = () => {
    let n = 0;
    const start = process.hrtime.bigint();
    for (;;) {
      jsonrepair(text);
      n++;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (ms >= minTimeMs) return (bytes * n) / (ms / 1000) / 1e6;
    }
  };
  const xs = Array.from({ length: runs }, one).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

const js = {};
const jsOut = {};
for (const size of sizes) {
  js[`valid-${size}.json`] = throughput(read(`valid-${size}.json`));
  for (const file of [`broken-${size}.txt`, `broken-noprose-${size}.txt`]) {
    try {
      jsOut[file] = jsonrepair(read(file));
      js[file] = throughput(read(file));
    } catch (e) {
      jsOut[file] = e;
    }
  }
}

// 3. reask's throughput and corpus outcomes, measured right after.
const reask = JSON.parse(run('go', ['run', './repair/internal/repairbench', '-measure', inputs, '-runs', String(runs), '-min-time', `${minTimeMs}ms`, '-corpora', corporaDir]));
fs.rmSync(inputs, { recursive: true, force: true });

// 4. jsonrepair on the corpora, compared as values (JSON.parse: numbers as
// doubles, which is exact for every number in the corpora but the
// 20-digit one, equal on both sides anyway).
function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}
function jsOutcome(input) {
  try {
    return { json: JSON.stringify(JSON.parse(jsonrepair(input))) };
  } catch (e) {
    return { error: e.message };
  }
}
const corpusFiles = { js: 'jsonrepair-js.jsonl', py: 'json_repair-py.jsonl', go: 'kaptinlin-go.jsonl' };
const jsCorpus = {};
const cases = {};
for (const [name, file] of Object.entries(corpusFiles)) {
  const lines = fs.readFileSync(path.join(corporaDir, file), 'utf8').split('\n').filter((l) => l.trim());
  let passed = 0;
  for (const line of lines) {
    const c = JSON.parse(line);
    cases[c.id] = c;
    const out = jsOutcome(c.input);
    let ok;
    if (c.expect_error) ok = !!out.error;
    else if (c.empty_output) ok = !!out.error || out.json === '""';
    else ok = !out.error && deepEqual(JSON.parse(out.json), c.expect);
    if (ok) passed++;
  }
  jsCorpus[name] = { cases: lines.length, passed };
}

// 5. Check the differences listed as "follows-jsonrepair": reask must give
// what jsonrepair gives (or fail where it fails).
const diffs = fs.readFileSync(path.join(moduleDir, 'repair', 'testdata', 'corpus-differences.md'), 'utf8')
  .split('\n').map((l) => l.match(/^\| `([^`]+)` \| follows-jsonrepair \|/)).filter(Boolean).map((m) => m[1]);
const wrong = diffs.filter((id) => {
  const ours = reask.outcomes[id], theirs = jsOutcome(cases[id].input);
  if (ours.error || theirs.error) return !(ours.error && theirs.error);
  return !deepEqual(JSON.parse(ours.json), JSON.parse(theirs.json));
});

function sameValue(a, b) {
  try {
    return deepEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}
function describe(text) {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? `an array of ${v.length} (${JSON.stringify(v).slice(0, 80)}…)` : JSON.stringify(v).slice(0, 100);
  } catch {
    return text.slice(0, 100);
  }
}

// 6. The report.
const mbps = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (t) => `${t.passed}/${t.cases} (${((100 * t.passed) / t.cases).toFixed(1)}%)`;
const lines = [];
lines.push(`Throughput, MB/s (10^6 bytes/s), median of ${runs} runs; higher is better.`, '');
lines.push('| input | npm jsonrepair | reask repair.Repair |', '|---|---:|---:|');
for (const kind of ['valid', 'broken', 'broken-noprose']) {
  for (const size of sizes) {
    const file = kind === 'valid' ? `valid-${size}.json` : `${kind}-${size}.txt`;
    const label = { valid: 'valid', broken: 'broken, with prose', 'broken-noprose': 'broken, fence only' }[kind];
    let theirs = file in js ? mbps(js[file]) : 'fails';
    if (kind !== 'valid' && file in js && !sameValue(jsOut[file], reask.repaired[file])) theirs += ' (wrong value)';
    lines.push(`| ${label} ${size} | ${theirs} | ${mbps(reask.throughput_mbps[file])} |`);
  }
}
lines.push('', 'Correctness on the conformance corpora (cases passed, compared as values; reask without counting its listed deliberate differences):', '');
lines.push('| corpus | npm jsonrepair | reask |', '|---|---:|---:|');
for (const name of Object.keys(corpusFiles)) {
  lines.push(`| ${corpusFiles[name]} | ${pct(jsCorpus[name])} | ${pct(reask.corpus[name])} |`);
}
lines.push('');
for (const [file, out] of Object.entries(jsOut)) {
  if (out instanceof Error) lines.push(`- jsonrepair fails on ${file}: ${out.message}`);
  else if (!sameValue(out, reask.repaired[file])) lines.push(`- jsonrepair's answer for ${file} differs from reask's: ${describe(out)}`);
}
lines.push('- "broken, with prose" is an answer as models write it: a sentence, a ```json fence, the document with unquoted keys, single quotes, trailing commas, comments, Python literals and raw line breaks, the closing fence and a last sentence; "fence only" drops the two sentences.');
lines.push(`- ${diffs.length - wrong.length}/${diffs.length} differences listed as follows-jsonrepair checked: reask answers as jsonrepair does.`);
lines.push(`- versions: node ${process.version}, jsonrepair ${JSON.parse(fs.readFileSync(path.join(here, 'node_modules', 'jsonrepair', 'package.json'), 'utf8')).version}, ${run('go', ['version']).trim()}`);
console.log(lines.join('\n'));
if (wrong.length > 0) {
  console.error(`compare: these cases are listed as follows-jsonrepair but jsonrepair answers otherwise: ${wrong.join(', ')}`);
  process.exit(1);
}
