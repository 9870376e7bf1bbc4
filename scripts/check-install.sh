#!/usr/bin/env bash
# CI check of the C library as users install it: installs fmap-win32 with cargo-c into a
# temporary prefix (scripts/cinstall.sh), checks the layout, then builds the sample program
# crates/fmap-win32/examples/installed/sample.c from the installed files only and runs it:
#
#   1. make with pkg-config (its Makefile: CFLAGS and LDLIBS from `pkg-config fmap-win32`),
#      run with LD_LIBRARY_PATH=<libdir> (the prefix is not a directory the loader searches);
#   2. CMake, find_package(fmap-win32): the shared and the static imported targets;
#   3. CMake, pkg_check_modules(... IMPORTED_TARGET fmap-win32), found through
#      CMAKE_PREFIX_PATH alone; CMake builds with an rpath, so 2 and 3 run as they are;
#   4. <prefix>/bin/fmap-cc and fmap-c++ (an rpath to <libdir>), fmap-cc --static, and a
#      copy of fmap-cc outside the prefix, which finds the library through pkg-config.
#
# Needs cargo-c (cargo install cargo-c --locked), pkg-config, cmake, make and a C/C++ compiler.
# Leaves nothing behind (the prefix is a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
ws=$PWD
src=$ws/crates/fmap-win32/examples/installed

work=$(mktemp -d)
# A private namespace root, so that the sample's names meet nobody else's.
shm=$(mktemp -d /dev/shm/fmap-check-install.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
export FMAP_ROOT=$shm
prefix=$work/prefix
unset PKG_CONFIG_PATH FMAP_WIN32_INCLUDE FMAP_WIN32_LIBDIR

CHECK_NAME=check-install
# shellcheck source=scripts/check-common.sh
. scripts/check-common.sh   # (the working directory is the project root)

echo "== cargo cinstall into $prefix (scripts/cinstall.sh)"
bash scripts/cinstall.sh --prefix="$prefix" 2>&1 | grep -v '^ *Compiling ' || fail "cinstall failed"

echo "== the installed layout"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
# cargo-c's soname: libfmap_win32.so.<major> from 1.0 on, libfmap_win32.so.0.<minor> before.
if [ "$major" = 0 ]; then soname=libfmap_win32.so.0.$minor; else soname=libfmap_win32.so.$major; fi
# cargo-c's default libdir is lib/<multiarch> on Debian and its derivatives, lib elsewhere.
pc=$(find "$prefix" -name fmap-win32.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || fail "no fmap-win32.pc under $prefix"
lib=$(dirname "$(dirname "$pc")")
echo "  libdir ${lib#"$prefix"/}"
for f in "$lib/libfmap_win32.so.$version" "$lib/libfmap_win32.a" \
  "$prefix/share/cmake/fmap-win32/fmap-win32-config.cmake" \
  "$prefix/share/cmake/fmap-win32/fmap-win32-config-version.cmake" \
  "$prefix/bin/fmap-cc"; do
  [ -f "$f" ] || fail "missing $f"
done
[ "$(readlink "$lib/libfmap_win32.so")" = "libfmap_win32.so.$version" ] \
  || [ "$(readlink -f "$lib/libfmap_win32.so")" = "$(readlink -f "$lib/libfmap_win32.so.$version")" ] \
  || fail "libfmap_win32.so is not a link to libfmap_win32.so.$version"
[ -e "$lib/$soname" ] || fail "missing $lib/$soname"
readelf -d "$lib/libfmap_win32.so.$version" | grep -q "Library soname: \[$soname\]" \
  || fail "the soname of libfmap_win32.so.$version is not $soname"
echo "  libfmap_win32.so.$version, soname $soname; libfmap_win32.a"
[ "$(readlink "$prefix/bin/fmap-c++")" = fmap-cc ] || fail "bin/fmap-c++ is not a link to fmap-cc"
# Every header, with its case variants, in include/fmap-win32/ and nowhere else.
n=0
for h in crates/fmap-win32/include/*; do
  case $h in *.h | *.H) ;; *) continue ;; esac
  cmp -s "$h" "$prefix/include/fmap-win32/${h##*/}" || fail "include/fmap-win32/${h##*/} differs or is missing"
  n=$((n + 1))
done
for h in windows.h Windows.h WINDOWS.H tchar.h; do
  [ -f "$prefix/include/fmap-win32/$h" ] || fail "missing include/fmap-win32/$h"
  [ ! -e "$prefix/include/$h" ] || fail "include/$h would shadow other headers"
done
echo "  $n headers in include/fmap-win32/ (windows.h, Windows.h, WINDOWS.H, ...)"
echo "  fmap-win32.pc:"
sed 's/^/    /' "$lib/pkgconfig/fmap-win32.pc"

echo "== 1. make with pkg-config"
export PKG_CONFIG_PATH=$lib/pkgconfig
read -r cflags <<<"$(pkg-config --cflags fmap-win32)"   # read: without pkg-config's blanks
read -r libs <<<"$(pkg-config --libs fmap-win32)"
echo "  pkg-config --cflags --libs fmap-win32: $cflags $libs"
[ "$cflags" = "-I$prefix/include/fmap-win32" ] || fail "unexpected --cflags: $cflags"
mkdir "$work/make"
cp "$src/sample.c" "$src/Makefile" "$work/make/"
make -s -C "$work/make" >/dev/null
expect_ok "make, LD_LIBRARY_PATH=<libdir>" env LD_LIBRARY_PATH="$lib" "$work/make/sample"
readelf -d "$work/make/sample" | grep -q "NEEDED.*\[$soname\]" || fail "the sample does not need $soname"

echo "== 2. CMake, find_package(fmap-win32)"
unset PKG_CONFIG_PATH
cmake -S "$src" -B "$work/cmake-find" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake-find.log" 2>&1 \
  || { cat "$work/cmake-find.log"; fail "cmake (find_package) failed"; }
cmake --build "$work/cmake-find" >>"$work/cmake-find.log" 2>&1 \
  || { cat "$work/cmake-find.log"; fail "cmake --build (find_package) failed"; }
expect_ok "find_package, fmap-win32::fmap-win32" env -u LD_LIBRARY_PATH "$work/cmake-find/sample"
expect_ok "find_package, fmap-win32::fmap-win32-static" env -u LD_LIBRARY_PATH "$work/cmake-find/sample-static"
if readelf -d "$work/cmake-find/sample-static" | grep -q 'NEEDED.*libfmap_win32'; then
  fail "sample-static needs the shared library"
fi
# The version file: this version is found, another series refused.
next=$major.$((minor + 1))
[ "$major" = 0 ] || next=$((major + 1)).0
mkdir "$work/cmake-version"
cat >"$work/cmake-version/CMakeLists.txt" <<END
cmake_minimum_required(VERSION 3.13)
project(v C)
find_package(fmap-win32 $version EXACT REQUIRED)
foreach(v 99.0 $next)
  find_package(fmap-win32 \${v} QUIET)
  if(fmap-win32_FOUND)
    message(FATAL_ERROR "fmap-win32 \${v} was accepted")
  endif()
endforeach()
END
cmake -S "$work/cmake-version" -B "$work/cmake-version/build" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/cmake-version.log" 2>&1 || { cat "$work/cmake-version.log"; fail "find_package's version check"; }
echo "  find_package(fmap-win32 $version EXACT) found; 99.0 and $next refused: ok"

echo "== 3. CMake, pkg_check_modules(fmap-win32)"
cmake -S "$src" -B "$work/cmake-pc" -DFMAP_WIN32_FIND=pkg-config -DCMAKE_PREFIX_PATH="$prefix" \
  >"$work/cmake-pc.log" 2>&1 || { cat "$work/cmake-pc.log"; fail "cmake (pkg_check_modules) failed"; }
cmake --build "$work/cmake-pc" >>"$work/cmake-pc.log" 2>&1 \
  || { cat "$work/cmake-pc.log"; fail "cmake --build (pkg_check_modules) failed"; }
expect_ok "pkg_check_modules, PkgConfig::FMAP_WIN32" env -u LD_LIBRARY_PATH "$work/cmake-pc/sample"

echo "== 4. fmap-cc and fmap-c++ from <prefix>/bin"
(
  cd "$work"
  env -u CARGO_TARGET_DIR "$prefix/bin/fmap-cc" -Wall -Werror -o fcc "$src/sample.c"
  env -u CARGO_TARGET_DIR "$prefix/bin/fmap-cc" --static -Wall -Werror -o fcc-static "$src/sample.c"
  env -u CARGO_TARGET_DIR "$prefix/bin/fmap-c++" -x c++ -Wall -o fcxx "$src/sample.c"
) || fail "fmap-cc failed"
expect_ok "fmap-cc (its rpath)" env -u LD_LIBRARY_PATH "$work/fcc"
expect_ok "fmap-cc --static" env -u LD_LIBRARY_PATH "$work/fcc-static"
expect_ok "fmap-c++" env -u LD_LIBRARY_PATH "$work/fcxx"
# A copy outside the prefix and the source tree finds the library through pkg-config.
mkdir -p "$work/elsewhere/bin"
cp "$prefix/bin/fmap-cc" "$work/elsewhere/bin/"
env -u CARGO_TARGET_DIR PKG_CONFIG_PATH="$lib/pkgconfig" "$work/elsewhere/bin/fmap-cc" \
  -o "$work/fcc-pc" "$src/sample.c" || fail "fmap-cc through pkg-config failed"
expect_ok "fmap-cc through pkg-config" env -u LD_LIBRARY_PATH "$work/fcc-pc"

echo "check-install: all passed"
