#!/usr/bin/env bash
# The server's CPU time per probe request, healthz against a hand-written
# handler, under wrk on 127.0.0.1. Not run by CI: it takes about three minutes
# and its figures depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 1; }
# Extra arguments go to cargo, such as `--no-default-features` for a build
# without `metrics`.
cargo bench -p healthz-suite --bench cpu_per_request "$@"
