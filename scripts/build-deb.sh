#!/usr/bin/env bash
# Builds the Debian package `fmap` with cargo-deb ([package.metadata.deb] in
# crates/fmap-cli/Cargo.toml lists what goes where) and prints the .deb's path on the last line.
#
#   scripts/build-deb.sh [cargo deb options]       e.g. --deb-revision=2, --maintainer="..."
#
# cargo deb alone is not enough: first this script generates into target-deb/ what the package
# ships besides the binary —
#   man/          fmap.1 and one page per subcommand (`fmap manpages`, from the clap definitions)
#   completions/  bash, zsh and fish scripts (`fmap completions`)
#   c/            the C library, headers, pkg-config file and CMake package config, installed by
#                 cargo-c with the paths of a Debian system (--prefix=/usr,
#                 --libdir=/usr/lib/<multiarch>), so that fmap-win32.pc says /usr
# Needs cargo-deb and cargo-c (cargo install cargo-deb cargo-c --locked) and dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=$PWD
target=${CARGO_TARGET_DIR:-$ws/target}
stage=$ws/target-deb

for tool in cargo-deb cargo-cinstall; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "build-deb.sh: $tool is missing (cargo install ${tool%install} --locked)" >&2
    exit 1
  }
done

rm -rf "$stage"
mkdir -p "$stage/man" "$stage/completions" "$stage/c"

echo "build-deb.sh: the fmap command (release)" >&2
cargo build --release -p fmap-cli
fmap=$target/release/fmap
"$fmap" manpages "$stage/man" >/dev/null
"$fmap" completions bash >"$stage/completions/fmap.bash"
"$fmap" completions zsh >"$stage/completions/_fmap"
"$fmap" completions fish >"$stage/completions/fmap.fish"

echo "build-deb.sh: the C library (cargo cinstall)" >&2
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || ${CC:-cc} -print-multiarch)
[ -n "$multiarch" ] || { echo "build-deb.sh: cannot tell the multiarch directory" >&2; exit 1; }
cargo cinstall -p fmap-win32 --release --prefix=/usr --libdir="/usr/lib/$multiarch" \
  --destdir="$stage/c" >&2
# As Debian's dh_strip does (cargo deb strips only what cargo built for it: the fmap binary).
strip --strip-unneeded "$stage/c/usr/lib/$multiarch"/libfmap_win32.so.*.*.*
strip --strip-debug "$stage/c/usr/lib/$multiarch/libfmap_win32.a"

echo "build-deb.sh: cargo deb" >&2
# --no-build: the binary built above (cargo deb's own build would rebuild it, with its settings).
# The Debian Maintainer field is required; the project has no public address, so a local build
# says so unless told otherwise (--maintainer or $DEB_MAINTAINER).
cargo deb -p fmap-cli --no-build --maintainer "${DEB_MAINTAINER:-fmap maintainers <root@localhost>}" "$@" \
  | tail -n 1
