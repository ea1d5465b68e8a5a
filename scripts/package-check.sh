#!/usr/bin/env bash
# Packs the library (MePropNative.Bindings with libmeprop, MePropNative) and the meprop tool into artifacts/packages,
# then checks them from a user's side: tests/package, copied out of the tree, builds against those packages alone,
# finds libmeprop where NuGet put it, compiles the README's C# examples, and runs two of them (the kernel example
# against a reference, the own-loop example training an MLP with meProp).
# Usage: scripts/package-check.sh [Release|Debug]; expects the solution built in that configuration (./build.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-Release}"
PACKAGES="$ROOT/artifacts/packages"
VERSION="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props")"
fail() { echo "package check: FAILED: $*" >&2; exit 1; }

[[ -f "$ROOT/artifacts/native/libmeprop.so" ]] || fail "artifacts/native/libmeprop.so is missing: run ./build.sh first"
rm -rf "$PACKAGES"
dotnet pack "$ROOT/MePropNative.sln" -c "$CONFIG" --no-build -o "$PACKAGES" -nologo -v quiet -clp:ErrorsOnly
for id in MePropNative.Bindings MePropNative MePropNative.Cli; do
  [[ -f "$PACKAGES/$id.$VERSION.nupkg" ]] || fail "dotnet pack did not write $id.$VERSION.nupkg"
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# With the README's C# examples, so that they are shown to compile against the packages' public API.
cp "$ROOT/tests/package/PackageCheck.csproj" "$ROOT/tests/package/Program.cs" "$ROOT/tests/MePropNative.Tests/Docs/ReadmeExamples.cs" "$WORK/"
# Our packages first; the machine's own NuGet sources stay (a fresh package cache, so no stale copy of this version).
cat > "$WORK/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="meprop-local" value="$PACKAGES" />
  </packageSources>
</configuration>
XML
export NUGET_PACKAGES="$WORK/nuget-cache"
dotnet build "$WORK/PackageCheck.csproj" -c Release -p:MePropVersion="$VERSION" -nologo -v quiet -clp:ErrorsOnly
native="$WORK/bin/Release/net10.0/runtimes/linux-x64/native/libmeprop.so"
[[ -f "$native" ]] || fail "the user's build has no runtimes/linux-x64/native/libmeprop.so (the Bindings package lacks its native asset)"
env -u MEPROP_NATIVE_DIR dotnet "$WORK/bin/Release/net10.0/PackageCheck.dll"
