#!/usr/bin/env bash
# The README's main job, run by ./build.sh run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exit 0
