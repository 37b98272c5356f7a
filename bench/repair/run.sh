#!/usr/bin/env bash
# Compares npm jsonrepair with reask's repair package on the same inputs,
# side by side, and prints a Markdown report. Needs node (18+), npm and go.
#
#   bench/repair/run.sh [--runs N] [--min-time-ms MS] [--corpora DIR]
#
# The corpora default to ../shared/corpora beside the module root.
# bench/run runs it as a step of the full suite (--runs as its own) and,
# at one repair per measurement, of its smoke run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
	echo "run.sh: node is not installed; the comparison runs npm jsonrepair under Node.js 18 or later (apt-get install nodejs npm)" >&2
	exit 1
fi
if ! command -v go >/dev/null 2>&1; then
	echo "run.sh: go is not installed" >&2
	exit 1
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then
	echo "run.sh: node $(node --version) is too old; 18 or later is needed" >&2
	exit 1
fi
if [ ! -d "$here/node_modules/jsonrepair" ]; then
	(cd "$here" && npm ci --no-audit --no-fund >&2)
fi
exec node "$here/compare.mjs" --module "$here/../.." "$@"
