#!/usr/bin/env pwsh
<#
.SYNOPSIS
  MePropNative build driver for Windows (MSVC) and PowerShell users; the same verbs as build.sh.
.EXAMPLE
  ./build.ps1            # set up (datasets), build native (CMake + MSVC) and managed (Release)
  ./build.ps1 run        # ... then run the main job
  ./build.ps1 test       # ... then run CTest and dotnet test
  ./build.ps1 pack       # ... then write the NuGet packages to artifacts/packages
  ./build.ps1 data       # datasets only
  ./build.ps1 clean
  ./build.ps1 build -Cuda   # also build the CUDA kernels (needs the CUDA toolkit on PATH)
#>
param(
    [ValidateSet('build', 'run', 'test', 'pack', 'data', 'clean')][string]$Verb = 'build',
    [switch]$Cuda,
    [ValidateSet('Debug', 'Release')][string]$Config = 'Release',
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$RunArgs = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Log($message) { Write-Host "[build.ps1] $message" -ForegroundColor Cyan }
function Require($tool, $hint) {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "build.ps1: '$tool' is required ($hint)." }
}
function Invoke-Checked([string]$exe, [string[]]$arguments) {
    & $exe @arguments
    if ($LASTEXITCODE -ne 0) { throw "build.ps1: '$exe $($arguments -join ' ')' failed with exit code $LASTEXITCODE" }
}

function Install-Data {
    # Same datasets and integrity checks as scripts/fetch-data.sh; bash (Git for Windows, WSL) runs it as is.
    if (Get-Command bash -ErrorAction SilentlyContinue) { Invoke-Checked bash @('scripts/fetch-data.sh'); return }
    throw "build.ps1: installing the datasets needs bash (Git for Windows provides it) to run scripts/fetch-data.sh"
}

function Build-Native {
    Require cmake 'install CMake 3.25 or newer'
    $dir = if ($Cuda) { 'build/native-cuda' } else { 'build/native' }
    $cudaFlag = if ($Cuda) { 'ON' } else { 'OFF' }
    Log "native: configure + build ($dir, MEPROP_CUDA=$cudaFlag)"
    Invoke-Checked cmake @('-S', '.', '-B', $dir, "-DMEPROP_CUDA=$cudaFlag")
    Invoke-Checked cmake @('--build', $dir, '--config', $Config, '--parallel')
    New-Item -ItemType Directory -Force artifacts/native | Out-Null
    Get-ChildItem -Recurse $dir -Include 'meprop.dll', 'libmeprop.so', 'libmeprop.dylib' |
        Copy-Item -Destination artifacts/native -Force
    return $dir
}

function Build-Managed {
    Require dotnet 'install the .NET 10 SDK'
    Log "managed: dotnet build ($Config)"
    Invoke-Checked dotnet @('build', 'MePropNative.sln', '-c', $Config, '-nologo', '-v', 'quiet')
}

switch ($Verb) {
    'clean' { Remove-Item -Recurse -Force build, artifacts -ErrorAction SilentlyContinue; return }
    'data' { Install-Data; return }
}

Install-Data
$nativeDir = Build-Native
Build-Managed
switch ($Verb) {
    'test' {
        Log 'native tests (CTest)'
        Invoke-Checked ctest @('--test-dir', $nativeDir, '-C', $Config, '--output-on-failure')
        Log 'managed tests (xunit v3)'
        Invoke-Checked dotnet @('test', 'MePropNative.sln', '-c', $Config, '--no-build')
    }
    'pack' {
        # The check of the packages from a user's project (scripts/package-check.sh) is written for Linux.
        Log 'NuGet packages into artifacts/packages'
        Invoke-Checked dotnet @('pack', 'MePropNative.sln', '-c', $Config, '--no-build', '-o', 'artifacts/packages', '-nologo', '-v', 'quiet')
    }
    'run' {
        Log 'main job'
        Invoke-Checked dotnet @(@('run', '--project', 'managed/MePropNative.Cli', '-c', $Config, '--no-build', '--', 'train', 'mlp') + $RunArgs)
    }
}
