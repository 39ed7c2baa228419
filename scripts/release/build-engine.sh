#!/usr/bin/env bash
# Builds the engine that the packages ship, in a Debian 11 root (glibc 2.31,
# gcc 10) so that it runs on any x86-64 Linux with glibc 2.31 or later:
# no -march=native, libstdc++ and libgcc linked in statically and hidden,
# OpenBLAS (DYNAMIC_ARCH: kernels chosen at run time) linked in statically.
# The root is made once with debootstrap (a few minutes) and kept, with its
# compiler cache, in $MLXCOMPAT_BUILD_ROOT (default /var/cache/mlxcompat/debian11).
# Output: build/release/engine/ (cmake --install layout: include, lib, lib/pkgconfig, lib/cmake).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
root=${MLXCOMPAT_BUILD_ROOT:-/var/cache/mlxcompat/debian11}
out=$repo/build/release/engine
mkdir -p "$(dirname "$root")"

# One build at a time in the shared root (other checkouts may run this too).
exec 9>"$root.lock"
flock 9

if [ ! -f "$root/.mlxcompat-root" ]; then
  echo "release: making the Debian 11 build root $root (once; a few minutes)"
  rm -rf "$root"
  debootstrap --variant=minbase --include=g++,make,cmake,libopenblas-dev,ccache bullseye "$root" http://deb.debian.org/debian >"$root.log" 2>&1 \
    || { echo "release: debootstrap failed, see $root.log" >&2; exit 1; }
  # nlohmann-json is header-only: Debian 12's (3.11) serves gcc 10 as well (Debian 11 has 3.9, the engine needs 3.10).
  (cd "$root/tmp" && apt-get download -qq nlohmann-json3-dev)
  chroot "$root" sh -c 'dpkg -i /tmp/nlohmann-json3-dev_*.deb >/dev/null && rm /tmp/nlohmann-json3-dev_*.deb'
  touch "$root/.mlxcompat-root"
fi

rm -rf "$root/src" "$root/out"
mkdir -p "$root/src"
# Copied with fresh times: the build folder is shared by every checkout, and a
# source older than an object another checkout built would not be rebuilt
# (ccache makes the full rebuild cheap).
cp -r native/capi/CMakeLists.txt native/capi/cmake native/capi/include native/capi/src "$root/src/"
chroot "$root" sh -c '
  set -e
  cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DMLXCOMPAT_NATIVE_ARCH=OFF -DMLXCOMPAT_DEV_TARGETS=OFF \
    "-DCMAKE_SHARED_LINKER_FLAGS=-static-libstdc++ -static-libgcc -Wl,--exclude-libs,ALL" >/build.log
  nice -n 10 cmake --build /build --target mlxcompat -j 2 >>/build.log || { tail -40 /build.log; exit 1; }
  cmake --install /build --prefix /out --strip >>/build.log'
rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -a "$root/out" "$out"
echo "release: engine built in the Debian 11 root: $(ls "$out"/lib/libmlxcompat.so.*.*.*)"
