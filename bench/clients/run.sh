#!/usr/bin/env bash
# The client matrix of issue 13: the structured-output clients people use,
# at the versions pinned in package-lock.json (openai, Vercel ai with
# @ai-sdk/openai and @ai-sdk/openai-compatible, @langchain/openai,
# @instructor-ai/instructor), each through "reask serve" in front of
# "reask sim --profile hostile", over the first N items of the simulator's
# labelled data set (reask sim dataset), counting the answers equal to the
# gold ones. Prints a Markdown table, with the machine, the date and the
# versions. Each row gets a fresh simulator and gateway on free loopback
# ports (see matrix.mjs); one item at a time (CONC=1), a run repeats
# exactly. Needs Go, Node >= 20 and npm (npm ci reaches the registry unless
# its cache has the packages). About 3 minutes on 2 cores.
#
#   bench/clients/run.sh
#   N=20 CONC=1 SEED=1 ROWS=openai-parse,openai-stream bench/clients/run.sh
#   SERVE_FLAGS="--json-object passthrough" bench/clients/run.sh  # the gateway as before json_object repair
#   REASK_BIN=/path/to/reask bench/clients/run.sh                  # another build of reask
#   JSON=results.jsonl bench/clients/run.sh                        # every answer, for a closer look
#
# Not part of scripts/test: it is slow and it installs from the registry.
set -euo pipefail
here=$(pwd)
cd "$(dirname "$0")/../.."

for tool in go node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench/clients: $tool is needed (Debian: apt-get install -y golang nodejs npm)" >&2
		exit 1
	fi
done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

bin=${REASK_BIN:-}
if [ -z "$bin" ]; then
	bin="$dir/reask"
	go build -o "$bin" ./cmd/reask
fi
n=${N:-20}
seed=${SEED:-1}
"$bin" sim dataset --n "$n" --seed "$seed" --out "$dir/data" >/dev/null

# The clients go into the temporary directory, never into the repository;
# the zod schemas are bench/peers' (the data set's schemas, field for field).
cp bench/clients/package.json bench/clients/package-lock.json bench/clients/matrix.mjs "$dir/"
cp bench/peers/schemas.mjs "$dir/"
if ! (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) >"$dir/npm.log" 2>&1; then
	echo "bench/clients: npm ci failed:" >&2
	cat "$dir/npm.log" >&2
	exit 1
fi

echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "- machine: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)"
echo "- node: $(node --version); clients: $(cd "$dir" && node -e '
const l = require("./package-lock.json").packages;
console.log(["openai", "ai", "@ai-sdk/openai", "@ai-sdk/openai-compatible", "@langchain/openai", "@langchain/core", "@instructor-ai/instructor", "zod"]
  .map((p) => p + " " + l["node_modules/" + p].version).join(", "))')"
echo "- gateway: \`reask serve${SERVE_FLAGS:+ $SERVE_FLAGS}\` in front of \`reask sim --profile ${PROFILE:-hostile} --seed $seed\`, fresh for each row; $n items of \`reask sim dataset --seed $seed\`, ${CONC:-1} at a time"
echo "- command: \`$0\` (N=$n SEED=$seed CONC=${CONC:-1}${ROWS:+ ROWS=$ROWS}${SERVE_FLAGS:+ SERVE_FLAGS=\"$SERVE_FLAGS\"})"
echo

args=(--reask "$bin" --data "$dir/data" --concurrency "${CONC:-1}" --seed "$seed" --profile "${PROFILE:-hostile}")
[ -n "${ROWS:-}" ] && args+=(--rows "$ROWS")
[ -n "${SERVE_FLAGS:-}" ] && args+=(--serve-flags "$SERVE_FLAGS")
[ -n "${JSON:-}" ] && args+=(--json "$(cd "$here" && realpath -m "$JSON")")
(cd "$dir" && node matrix.mjs "${args[@]}")
