#!/usr/bin/env bash
# Measures what the reask gateway adds to a request: latency percentiles and
# throughput straight to the simulator and through the gateway, on loopback,
# at concurrency 1, 16 and 64 (see main.go) — once with an instant simulator
# (the most requests/s) and once with a 20ms one (the latency added when the
# cores are not saturated) — then the per-request Go benchmarks. Results go
# to stdout; RESULTS.md records a run.
#
#   bench/gateway/run.sh                 # 5 s per run
#   DURATION=10s CONC=1,16,64,128 bench/gateway/run.sh
#
# Other work on the machine skews the figures: the script prints the load
# average before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=$(mktemp -d)/gateway-bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/gateway

echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "go:      $(go version)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before"
for latency in 0 20ms; do
	echo "command: go run ./bench/gateway -duration ${DURATION:-5s} -warmup ${WARMUP:-1s} -conc ${CONC:-1,16,64} -latency $latency $*"
	echo
	"$bin" -duration "${DURATION:-5s}" -warmup "${WARMUP:-1s}" -conc "${CONC:-1,16,64}" -latency "$latency" "$@"
	echo
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) after"
echo
go test -run '^$' -bench 'BenchmarkRequest|BenchmarkHandler' -benchmem -benchtime=2s ./gateway/
