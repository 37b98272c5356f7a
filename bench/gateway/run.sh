#!/usr/bin/env bash
# Measures what the reask gateway adds to a request, on loopback, at
# concurrency 1, 16 and 64 (see main.go), with the gateway running as
# "reask serve" in its own process, as deployed:
#
#   1. an instant simulator: the most requests/s straight and through the
#      gateway (the cores saturate; latency is then mostly queueing);
#   2. a model-like simulator (log-normal, median 20ms, p99 60ms): the
#      latency the gateway adds when the cores are not saturated;
#
# then the per-request Go benchmarks. Results go to stdout as Markdown
# (bench/run includes them in its report); RESULTS.md records a run. Other
# work on the machine skews the tails: the script prints the load average
# before and after. About 6 minutes with the defaults.
#
#   bench/gateway/run.sh
#   DURATION=5s LATENCY_DURATION=30s CONC=1,16,64 bench/gateway/run.sh
#   DURATION=300ms LATENCY_DURATION=300ms WARMUP=100ms ROUNDS=2 CONC=2 BENCHTIME=1x bench/gateway/run.sh   # a smoke run
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/gateway-bench" ./bench/gateway
go build -o "$dir/reask" ./cmd/reask

echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "- go: $(go version)"
echo "- load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before"
echo

conc=${CONC:-1,16,64}
common=(-conc "$conc" -warmup "${WARMUP:-1s}" -rounds "${ROUNDS:-5}")
run() {
	echo "command: \`go run ./bench/gateway -gateway-bin reask $*\`"
	echo
	"$dir/gateway-bench" -gateway-bin "$dir/reask" "$@"
	echo
}
run "${common[@]}" -duration "${DURATION:-5s}" -latency 0
run "${common[@]}" -duration "${LATENCY_DURATION:-20s}" -latency 20ms -latency-p99 60ms

echo "- load: $(cut -d' ' -f1-3 /proc/loadavg) after"
echo
benchtime=${BENCHTIME:-2s}
echo "command: \`go test -run '^$' -bench 'BenchmarkRequest|BenchmarkHandler' -benchmem -benchtime=$benchtime ./gateway/\`"
echo
echo '```'
go test -run '^$' -bench 'BenchmarkRequest|BenchmarkHandler' -benchmem -benchtime="$benchtime" ./gateway/
echo '```'
