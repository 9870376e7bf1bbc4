#!/usr/bin/env bash
# CI check of the Debian package: builds it (scripts/build-deb.sh), checks its contents,
# installs it with dpkg -i, then uses only what it installed:
#
#   * `fmap --version` and `fmap demo` (/usr/bin/fmap);
#   * `man fmap` and `man fmap-create-mapping` render; the completions are where bash, zsh and
#     fish look;
#   * the sample C program built with cc + `pkg-config fmap-win32` (no PKG_CONFIG_PATH, no
#     LD_LIBRARY_PATH: /usr), with CMake find_package(fmap-win32), and with /usr/bin/fmap-cc;
#   * the tmpfiles.d entry: the directory it describes (made with its mode and owner in a
#     private root, and by systemd-tmpfiles where it exists) is one the library uses for
#     Global\ names, for root and for another user; the restricted variant the file documents
#     (2770 and a group) admits the group's members and refuses other users.
#
# Then it removes the package (dpkg --purge) unless FMAP_KEEP_DEB=1, so that later steps do not
# pick up the installed library, and /dev/shm/fmap-global if it made it and it is empty. Needs root, cargo-deb, cargo-c, cmake, pkg-config, make, man-db.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=$PWD
src=$ws/crates/fmap-win32/examples/installed

[ "$(id -u)" = 0 ] || { echo "check-deb: needs root (dpkg -i)" >&2; exit 1; }
work=$(mktemp -d)
installed=0
had_global=0
[ -e /dev/shm/fmap-global ] && had_global=1
cleanup() {
  if [ "$installed" = 1 ] && [ "${FMAP_KEEP_DEB:-0}" != 1 ]; then
    dpkg --purge fmap >/dev/null || true
    # Leave /dev/shm as found: the directory the package's postinst made, if nothing is in it.
    if [ "$had_global" = 0 ] && [ -d /dev/shm/fmap-global ]; then
      rm -f /dev/shm/fmap-global/.lock
      rmdir /dev/shm/fmap-global 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
unset PKG_CONFIG_PATH FMAP_WIN32_INCLUDE FMAP_WIN32_LIBDIR FMAP_ROOT

CHECK_NAME=check-deb
# shellcheck source=scripts/check-common.sh
. scripts/check-common.sh   # (the working directory is the project root)

echo "== build the package (scripts/build-deb.sh)"
deb=$(bash scripts/build-deb.sh 2> >(grep -v '^ *Compiling ' >&2) | tail -n 1)
[ -f "$deb" ] || fail "no .deb (got: $deb)"
echo "  $deb"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Section\):/  \1:/p'

echo "== its contents"
dpkg-deb --contents "$deb" | awk '{print $6, $7, $8}' | sed 's|^\./|/|' >"$work/contents"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || cc -print-multiarch)
for f in /usr/bin/fmap /usr/bin/fmap-cc /usr/bin/fmap-c++ \
  /usr/share/man/man1/fmap.1.gz /usr/share/man/man1/fmap-create-mapping.1.gz \
  /usr/share/bash-completion/completions/fmap /usr/share/zsh/vendor-completions/_fmap \
  /usr/share/fish/vendor_completions.d/fmap.fish /usr/lib/tmpfiles.d/fmap.conf \
  "/usr/lib/$multiarch/libfmap_win32.so" "/usr/lib/$multiarch/libfmap_win32.a" \
  "/usr/lib/$multiarch/pkgconfig/fmap-win32.pc" /usr/include/fmap-win32/windows.h \
  /usr/include/fmap-win32/Windows.h /usr/share/cmake/fmap-win32/fmap-win32-config.cmake \
  /usr/share/doc/fmap/copyright; do
  grep -q "^$f\( \|$\)" "$work/contents" || fail "the package lacks $f"
done
grep -q '^/usr/bin/fmap-c++ -> fmap-cc' "$work/contents" || fail "fmap-c++ is not a link to fmap-cc"
grep -q "^/usr/lib/$multiarch/libfmap_win32.so -> " "$work/contents" \
  || fail "libfmap_win32.so is not a link (cargo-deb lost the symlinks)"
if grep -q '^/usr/include/windows.h' "$work/contents"; then fail "windows.h outside include/fmap-win32"; fi
echo "  $(wc -l <"$work/contents") entries; man pages: $(grep -c '/man1/.*\.1\.gz' "$work/contents")"

echo "== dpkg -i"
# --path-include: minimal images (debian:*-slim) exclude /usr/share/man from every package.
dpkg --path-include='/usr/share/man/*' -i "$deb"
installed=1
[ "$(command -v fmap)" = /usr/bin/fmap ] || fail "fmap is $(command -v fmap), not /usr/bin/fmap"
fmap --version

echo "== fmap demo (installed)"
fmap_root=$(mktemp -d /dev/shm/fmap-check-deb.XXXXXX)
trap 'rm -rf "$fmap_root"; cleanup' EXIT
FMAP_ROOT=$fmap_root /usr/bin/fmap demo --rounds 200 | tail -n 4

echo "== man fmap"
MANPAGER=cat MANWIDTH=80 man fmap 2>/dev/null >"$work/man.txt" || fail "man fmap failed"
head -n 12 "$work/man.txt" | sed 's/^/    /'
grep -q 'fmap-ls(1)' "$work/man.txt" || fail "man fmap does not list fmap-ls(1)"
MANPAGER=cat MANWIDTH=80 man fmap-create-mapping 2>/dev/null | grep -q -- '--size' \
  || fail "man fmap-create-mapping lacks --size"
echo "  man fmap, man fmap-create-mapping: ok"
bash -n /usr/share/bash-completion/completions/fmap || fail "the bash completion does not parse"
grep -q 'complete -c fmap' /usr/share/fish/vendor_completions.d/fmap.fish || fail "fish completion"
grep -q '^#compdef fmap' /usr/share/zsh/vendor-completions/_fmap || fail "zsh completion"
echo "  completions for bash, zsh, fish: ok"

echo "== C programs against the installed files (/usr)"
echo "  pkg-config --cflags --libs fmap-win32: $(pkg-config --cflags --libs fmap-win32)"
read -r cflags <<<"$(pkg-config --cflags fmap-win32)"
[ "$cflags" = "-I/usr/include/fmap-win32" ] || fail "pkg-config --cflags: $cflags"
# shellcheck disable=SC2046 # pkg-config prints words
cc -Wall -Werror -o "$work/pc" "$src/sample.c" $(pkg-config --cflags --libs fmap-win32) \
  || fail "cc with pkg-config failed"
export FMAP_ROOT=$fmap_root
expect_ok "cc + pkg-config" env -u LD_LIBRARY_PATH "$work/pc"
cmake -S "$src" -B "$work/cmake" >"$work/cmake.log" 2>&1 && cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log"; fail "CMake find_package from /usr failed"; }
expect_ok "CMake find_package" env -u LD_LIBRARY_PATH "$work/cmake/sample"
expect_ok "CMake find_package, static" env -u LD_LIBRARY_PATH "$work/cmake/sample-static"
(cd "$work" && env -u CARGO_TARGET_DIR fmap-cc -Wall -Werror -o fcc "$src/sample.c") || fail "fmap-cc failed"
expect_ok "/usr/bin/fmap-cc" env -u LD_LIBRARY_PATH "$work/fcc"
if readelf -d "$work/fcc" | grep -q 'RUNPATH\|RPATH'; then fail "fmap-cc added an rpath to /usr/lib"; fi
unset FMAP_ROOT

echo "== the Global\\ directory of /usr/lib/tmpfiles.d/fmap.conf"
line=$(grep -v '^[[:space:]]*\(#\|$\)' /usr/lib/tmpfiles.d/fmap.conf)
echo "  $line"
# shellcheck disable=SC2086 # the line's fields
set -- $line
[ "$1" = d ] && [ "$2" = /dev/shm/fmap-global ] || fail "unexpected tmpfiles line: $line"
# make_root ROOT MODE USER GROUP: the directory the line describes, under ROOT (a private
# $FMAP_ROOT standing for /dev/shm), made as systemd-tmpfiles makes it.
make_root() {
  mkdir -p "$1"
  chmod 1777 "$1"
  mkdir "$1/fmap-global"
  chown "$3:$4" "$1/fmap-global"
  chmod "$2" "$1/fmap-global"
}
as_user() { # as_user UID GID[,GID...] CMD...: runs CMD as that user, those groups
  local uid=$1 gids=$2
  shift 2
  setpriv --reuid="$uid" --regid="${gids%%,*}" --groups="$gids" "$@"
}
chmod 755 "$work"
cp "$work/pc" "$work/sample"
chmod 755 "$work/sample"
make_root "$work/root-shipped" "$3" "$4" "$5"
stat -c '  made %n: mode %a, owner %U:%G' "$work/root-shipped/fmap-global"
export FMAP_ROOT=$work/root-shipped
expect_ok "Global\\ as root" "$work/sample" 'Global\fmap-check'
expect_ok "Global\\ as uid 65533" as_user 65533 65533 "$work/sample" 'Global\fmap-check'
# The restricted variant the file documents: 2770, a group (here gid 65534).
make_root "$work/root-group" 2770 root 65534
export FMAP_ROOT=$work/root-group
expect_ok "2770 root:65534, Global\\ as uid 65533 in group 65534" \
  as_user 65533 65533,65534 "$work/sample" 'Global\fmap-check'
if as_user 65532 65532 "$work/sample" 'Global\fmap-check' >/dev/null 2>"$work/refused"; then
  fail "2770 root:65534: uid 65532, not in the group, could use Global\\"
fi
grep -q 'CreateFileMapping failed, error 5$' "$work/refused" \
  || { cat "$work/refused"; fail "2770 root:65534: uid 65532 was not refused with ERROR_ACCESS_DENIED"; }
echo "  2770 root:65534, Global\\ as uid 65532 (not in the group): $(cat "$work/refused"): ok"
unset FMAP_ROOT
if command -v systemd-tmpfiles >/dev/null 2>&1; then
  # dpkg's postinst ran it already; again, to see what it does.
  systemd-tmpfiles --create fmap.conf || fail "systemd-tmpfiles --create fmap.conf failed"
  got=$(stat -c '%a %U %G' /dev/shm/fmap-global)
  [ "$got" = "${3#0} $4 $5" ] || fail "systemd-tmpfiles made /dev/shm/fmap-global $got"
  echo "  systemd-tmpfiles --create fmap.conf: /dev/shm/fmap-global $got"
  expect_ok "Global\\ in /dev/shm as root" "$work/sample" 'Global\fmap-check'
  expect_ok "Global\\ in /dev/shm as uid 65533" as_user 65533 65533 "$work/sample" 'Global\fmap-check'
else
  echo "  (no systemd-tmpfiles here: checked with the mode and owner of the line only)"
fi

echo "check-deb: all passed"
