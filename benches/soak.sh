#!/usr/bin/env bash
# A soak run of a server with every feature on: steady load on each health
# surface while the app takes holds, beats heartbeats and fails checks; it
# reports memory, descriptors, tasks, errors and latencies. Not run by CI:
# 600 s by default, or the seconds given (`benches/soak.sh 60`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p healthz-suite --bench soak -- "${1:-600}"
