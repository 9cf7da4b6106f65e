#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds an app against it, as its users would:
#   1. CMake: find_package(callsignal), both callsignal::callsignal and callsignal::callsignal_static;
#   2. pkg-config, shared (run with LD_LIBRARY_PATH), then static (pkg-config --static).
# Each program runs and must pass its checks. In a sanitizer build the installed libraries are
# instrumented, so the app is compiled and linked with the same -fsanitize flags, as an app of
# such a build would have to be.
#
#   consumer_test.sh CMAKE BUILD_DIR CONSUMER_SOURCE_DIR CC PKG_CONFIG
# CALLSIGNAL_CONSUMER_FLAGS: the sanitizer flags of the build, if any (compile and link).
#
# Everything is written under one temporary directory, removed on exit. The one exception is
# CMake's own: `cmake --install` always rewrites BUILD_DIR/install_manifest.txt; the script puts
# back whatever was there (or removes it), so an earlier real install keeps its manifest.
set -euo pipefail

cmake=$1 build=$2 source=$3 cc=$4 pkg_config=$5
sanitizer_flags=${CALLSIGNAL_CONSUMER_FLAGS:-}
[ -x "$pkg_config" ] || { echo "pkg-config not found (scripts/lib/deps.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/callsignal-consumer.XXXXXX")
manifest="$build/install_manifest.txt"
had_manifest=0
if [ -e "$manifest" ]; then
  cp -p "$manifest" "$tmp/install_manifest.saved"
  had_manifest=1
fi
cleanup() {
  if [ $had_manifest -eq 1 ]; then
    cp -p "$tmp/install_manifest.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# The library directory the package chose (lib, or lib/<multiarch> under /usr): where callsignal.pc is.
find_libdir() { dirname "$(dirname "$(find "$prefix" -name callsignal.pc -path '*/pkgconfig/*' | head -1)")"; }

prefix="$tmp/prefix"
step "install into $prefix"
unset DESTDIR
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
libdir=$(find_libdir)
[ -d "$libdir" ] || { echo "no callsignal.pc installed"; cat "$tmp/install.log"; exit 1; }
for f in include/callsignal/callsignal.h "${libdir#"$prefix"/}/libcallsignal.a" \
         "${libdir#"$prefix"/}/libcallsignal.so" "${libdir#"$prefix"/}/cmake/callsignal/callsignalConfig.cmake" \
         "${libdir#"$prefix"/}/cmake/callsignal/callsignalConfigVersion.cmake"; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
(cd "$prefix" && find . \( -type f -o -type l \) | sort | sed 's|^\./|  |')

# The app must use the installed library, not the one in the build tree.
uses_installed_lib() {
  local exe=$1 resolved
  resolved=$(LD_LIBRARY_PATH=${2:-} ldd "$exe" | awk '$1 ~ /^libcallsignal\.so/ { print $3 }')
  [ -n "$resolved" ] && resolved=$(readlink -f "$resolved")
  case "$resolved" in
    "$(readlink -f "$libdir")"/*) echo "$exe -> $resolved" ;;
    *) echo "$exe loads libcallsignal from '$resolved', not from $libdir"; return 1 ;;
  esac
}
links_no_shared_callsignal() {
  if readelf -d "$1" | grep -q 'NEEDED.*libcallsignal'; then
    echo "$1 should not need libcallsignal.so"; return 1
  fi
}

# Installed programs that use the library (the CLI) find it in the prefix on their own (RUNPATH).
for exe in "$prefix"/bin/*; do
  if [ -f "$exe" ] && readelf -d "$exe" 2>/dev/null | grep -q 'NEEDED.*libcallsignal'; then
    uses_installed_lib "$exe"
  fi
done

step "CMake: find_package(callsignal) with CMAKE_PREFIX_PATH=$prefix"
"$cmake" -S "$source" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$sanitizer_flags" -DCMAKE_EXE_LINKER_FLAGS="$sanitizer_flags" \
  >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
"$cmake" --build "$tmp/cmake-build" -j 2 >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
uses_installed_lib "$tmp/cmake-build/consumer_shared"
run "$tmp/cmake-build/consumer_shared"
links_no_shared_callsignal "$tmp/cmake-build/consumer_static"
run "$tmp/cmake-build/consumer_static"

export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$("$pkg_config" --cflags callsignal)
libs=$("$pkg_config" --libs callsignal)
static_libs=$("$pkg_config" --static --libs callsignal)
strict=(-std=c99 -pedantic -Wall -Wextra -Werror)
# shellcheck disable=SC2206 # the flags are words
san=($sanitizer_flags)

step "pkg-config, shared: $cflags ... $libs"
# shellcheck disable=SC2086 # pkg-config output is a list of words
"$cc" "${strict[@]}" "${san[@]}" $cflags "$source/consumer.c" -o "$tmp/pc_shared" $libs
uses_installed_lib "$tmp/pc_shared" "$libdir"
LD_LIBRARY_PATH="$libdir" run "$tmp/pc_shared"

# With both libraries in one directory, -lcallsignal means the shared one: ask for the archive by
# name, as a static app has to.
static_libs=${static_libs//-lcallsignal/-l:libcallsignal.a}
step "pkg-config --static: $cflags ... $static_libs"
# shellcheck disable=SC2086
"$cc" "${strict[@]}" "${san[@]}" $cflags "$source/consumer.c" -o "$tmp/pc_static" $static_libs
links_no_shared_callsignal "$tmp/pc_static"
run "$tmp/pc_static"

step "ok"
