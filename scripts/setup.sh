#!/usr/bin/env bash
# Installs what mlx-compat needs on Debian 12 (Node 20 present): the
# compiler toolchain, OpenBLAS, nlohmann-json and SLEEF (loaded at run time)
# for the engine, clang-14
# with its sanitizer and libFuzzer runtimes (the sanitizer builds and fuzz
# targets), the BLAS and LAPACK that real MLX (the test oracle) loads, and the npm packages
# pinned in package-lock.json. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make python3 libopenblas-dev nlohmann-json3-dev libsleef3 libblas3 liblapack3 libgfortran5 clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# .npmrc sets ignore-scripts: @frost-beta/mlx's install script downloads a
# binary that its tarball already ships.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
