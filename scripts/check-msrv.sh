#!/usr/bin/env bash
# Checks the minimum supported Rust version, rust-version in Cargo.toml ([workspace.package]):
#
#   * with that toolchain installed (rustup toolchain install 1.85): `cargo +1.85 check` of the
#     published crates' libraries and binaries (fmap, fmap-win32, fmap-cli);
#   * always (with python3): every normal and build dependency of those crates in Cargo.lock
#     declares a rust-version no newer than ours.
#
# What it covers: building the crates. Their tests and benches may need a newer toolchain
# (a dev-dependency, proptest, needs 1.88). Also checking, elsewhere: cargo itself refuses to
# build the crates with an older rustc than rust-version, and clippy's incompatible_msrv lint
# (on in CI, `-D warnings`) reports standard library APIs newer than rust-version.
# Never downloads a toolchain: without one, that part is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ -n "$msrv" ] || { echo "check-msrv: no rust-version in Cargo.toml" >&2; exit 1; }
echo "check-msrv: rust-version $msrv"

if command -v rustup >/dev/null 2>&1 && rustup run "$msrv" rustc --version >/dev/null 2>&1; then
  echo "check-msrv: cargo +$msrv check -p fmap -p fmap-win32 -p fmap-cli"
  cargo "+$msrv" check --locked -p fmap -p fmap-win32 -p fmap-cli
else
  echo "check-msrv: (toolchain $msrv not installed: rustup toolchain install $msrv to check the build with it)"
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "check-msrv: (no python3: dependencies' rust-version not checked)"
  exit 0
fi
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
msrv = sys.argv[1]
def key(v):
    parts = [int(x) for x in v.split(".")]
    return parts + [0] * (3 - len(parts))
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
roots = [p["id"] for p in meta["packages"]
         if p["name"] in ("fmap", "fmap-win32", "fmap-cli") and p["source"] is None]
seen, todo = set(), list(roots)
while todo:
    i = todo.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        # normal (kind None) and build dependencies; not dev-dependencies
        if any(k["kind"] in (None, "build") for k in d["dep_kinds"]):
            todo.append(d["pkg"])
bad = sorted("%s %s needs %s" % (p["name"], p["version"], p["rust_version"])
             for p in (packages[i] for i in seen)
             if p.get("rust_version") and key(p["rust_version"]) > key(msrv))
for b in bad:
    print("check-msrv:", b, file=sys.stderr)
print(f"check-msrv: {len(seen)} crates (the three and their dependencies): "
      + ("all declare rust-version <= " + msrv if not bad else f"{len(bad)} need a newer Rust"))
sys.exit(1 if bad else 0)
' "$msrv"
