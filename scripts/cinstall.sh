#!/usr/bin/env bash
# Installs fmap-win32 for C and C++ programs: `cargo cinstall -p fmap-win32` (cargo-c) with the
# options given — the shared library with its soname and the static one, the headers in
# include/fmap-win32/, lib/pkgconfig/fmap-win32.pc and share/cmake/fmap-win32/ — then the
# compiler drivers fmap-cc and fmap-c++ in <prefix>/bin, which cargo-c does not install.
#
#   scripts/cinstall.sh --prefix=/usr/local                  (as root; the default prefix)
#   scripts/cinstall.sh --prefix="$HOME/.local"
#   scripts/cinstall.sh --prefix=/usr --libdir=/usr/lib/x86_64-linux-gnu --destdir=/tmp/stage
#
# Every option is cargo cinstall's (see cargo cinstall --help); this script reads --prefix,
# --destdir and --bindir (given as --name=VALUE) to place the drivers. Needs cargo-c:
# cargo install cargo-c --locked.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
destdir=
bindir=
for a in "$@"; do
  case $a in
    --prefix=*) prefix=${a#--prefix=} ;;
    --destdir=*) destdir=${a#--destdir=} ;;
    --bindir=*) bindir=${a#--bindir=} ;;
    --prefix | --destdir | --bindir)
      echo "cinstall.sh: write $a=VALUE (with =)" >&2
      exit 2
      ;;
  esac
done
case $bindir in
  "") bindir=$prefix/bin ;;
  /*) ;;
  *) bindir=$prefix/$bindir ;;
esac

if ! command -v cargo-cinstall >/dev/null 2>&1; then
  echo "cinstall.sh: cargo-c is not installed (cargo install cargo-c --locked)" >&2
  exit 1
fi
cargo cinstall -p fmap-win32 "$@"

install -d "$destdir$bindir"
install -m 755 crates/fmap-win32/bin/fmap-cc "$destdir$bindir/fmap-cc"
ln -sfn fmap-cc "$destdir$bindir/fmap-c++"
echo "cinstall.sh: installed $destdir$bindir/fmap-cc and fmap-c++"
