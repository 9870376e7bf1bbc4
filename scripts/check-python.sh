#!/usr/bin/env bash
# Checks the Python package (crates/fmap-py, import name fmap): builds its wheel with maturin,
# installs the wheel into a fresh virtual environment with pytest and numpy, and runs the
# package's tests — against the installed wheel, not the source tree — and its benchmark in
# quick mode (no timing is asserted). Then installs it the way the README says,
# `pip install ./crates/fmap-py`, into another fresh environment and imports it.
#
# The interoperability tests get the fmap command and libfmap_win32.so from a release build
# here, and must run (FMAP_PY_REQUIRE_INTEROP=1: skipping them is a failure).
#
# Needs python3 >= 3.11 with venv (Debian: python3-venv, installed with apt-get when missing,
# as root) and PyPI (maturin, pytest, numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv "$work/probe" >/dev/null 2>&1; then
  echo "check-python: installing python3 and python3-venv with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
rm -rf "$work/probe"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "check-python: the package needs Python >= 3.11, found $(python3 --version)" >&2; exit 1; }
echo "check-python: $(python3 --version)"

echo "check-python: maturin build (release wheel)"
python3 -m venv "$work/build"
"$work/build/bin/pip" install -q "maturin>=1.9.4,<2"
"$work/build/bin/maturin" --version
"$work/build/bin/maturin" build --release -m crates/fmap-py/Cargo.toml --out "$work/wheels" 2>&1 \
  | grep -v '^ *Compiling' | tail -n 3
wheel=$(ls "$work"/wheels/*.whl)
echo "check-python: built $(basename "$wheel")"

echo "check-python: a fresh virtual environment with the wheel, pytest and numpy"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel" pytest numpy
# The package imported by the tests is the installed one (the tests add only their own
# directory to sys.path).
(cd / && "$work/venv/bin/python" -c 'import fmap, sys; print("check-python: fmap from", fmap.__file__)')

echo "check-python: the fmap command and libfmap_win32.so for the interoperability tests"
cargo build --release --quiet -p fmap-cli -p fmap-win32
target=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

echo "check-python: pytest"
FMAP_CLI="$target/release/fmap" FMAP_WIN32_LIBDIR="$target/release" FMAP_PY_REQUIRE_INTEROP=1 \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider crates/fmap-py/tests

echo "check-python: benchmark (quick)"
"$work/venv/bin/python" crates/fmap-py/bench/pingpong.py --quick

echo "check-python: pip install ./crates/fmap-py (the README's command) into a fresh environment"
python3 -m venv "$work/readme"
"$work/readme/bin/pip" install -q ./crates/fmap-py
(cd / && FMAP_ROOT="$work" "$work/readme/bin/python" -c '
import fmap
with fmap.Mapping.create("Local\\check", 4096) as m:
    v = m.map_view()
    v[:2] = b"ok"
    print("check-python: pip install ./crates/fmap-py:", bytes(v[:2]).decode())
')
cd "$repo"
