#!/usr/bin/env bash
# The README's main job, run by ./build.sh run: `meprop train mlp` on MNIST with its defaults (784-500-500-10,
# meProp top-20 per example on both hidden layers, Adam 0.001, batch 32, dropout 0.1, 5 epochs: a few minutes on
# 2 cores), printing the per-epoch summary table. Extra arguments go to `meprop train mlp` (e.g. --strategy dense).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIG="${CONFIG:-Release}"
CLI="managed/MePropNative.Cli/bin/$CONFIG/net10.0/meprop.dll"
if [[ ! -f "$CLI" ]]; then
  echo "main-job: $CLI is missing; build first (./build.sh)" >&2
  exit 1
fi
[[ -f data/mnist/train-images-idx3-ubyte ]] || bash scripts/fetch-data.sh mnist
exec dotnet "$CLI" train mlp --out out/main-job "$@"
