#!/usr/bin/env python3
"""Ratios fmap/raw from the criterion results of `cargo bench -p fmap --bench sections`.

Reads target/criterion/<group>/<function>/<parameter>/new/{benchmark,estimates}.json and prints
"operation | fmap median | raw median | ratio | target" for every pair the benchmark measures:

* create_cycle/<size>: fmap vs raw (target 1.3x for 64KiB, the issue's figure);
* open_cycle/64KiB: each fmap variant vs raw (target 1.3x);
* scaling: fmap at 10,000 live names vs fmap at 10 (target 1.5x), and fmap vs raw at each count
  (no target, for context).

Usage: scripts/bench-ratios.py [TARGET_DIR]   (default: ./target, or $CARGO_TARGET_DIR)
Exit status 1 if a target is missed, 2 if no results were found.
"""

import json
import os
import sys


def load(root):
    """{(group, function, parameter): median in ns} for every benchmark with results."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in filenames:
            continue
        try:
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                b = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                e = json.load(f)
        except (OSError, ValueError):
            continue
        key = (b.get("group_id"), b.get("function_id"), b.get("value_str"))
        out[key] = e["median"]["point_estimate"]
    return out


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def size_key(label):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for u, m in units.items():
        if label.endswith(u) and label[: -len(u)].isdigit():
            return int(label[: -len(u)]) * m
    return label.isdigit() and int(label) or 0


def rows(res):
    """(operation, numerator, denominator, ratio, target, numerator label, denominator label)."""
    out = []

    def add(op, a, b, target, a_label="fmap", b_label="raw"):
        va, vb = res.get(a), res.get(b)
        if va is None or vb is None:
            return
        out.append((op, va, vb, va / vb, target, a_label, b_label))

    sizes = sorted({k[2] for k in res if k[0] == "create_cycle"}, key=size_key)
    for s in sizes:
        add(f"create_cycle/{s}", ("create_cycle", "fmap", s), ("create_cycle", "raw", s), 1.3 if s == "64KiB" else None)

    for (g, f, p) in sorted(res):
        if g == "open_cycle" and f.startswith("fmap"):
            add(f"open_cycle/{p} ({f})", (g, f, p), (g, "raw", p), 1.3)

    counts = sorted({k[2] for k in res if k[0] == "scaling"}, key=size_key)
    if counts:
        lo, hi = counts[0], counts[-1]
        for op in ("create", "open"):
            for n in counts:
                add(f"scaling/{op}, {n} live", ("scaling", f"fmap_{op}", n), ("scaling", f"raw_{op}", n), None)
            if lo != hi:
                add(
                    f"scaling/fmap_{op}: {hi} vs {lo} live",
                    ("scaling", f"fmap_{op}", hi),
                    ("scaling", f"fmap_{op}", lo),
                    1.5,
                    f"fmap@{hi}",
                    f"fmap@{lo}",
                )
                add(
                    f"scaling/raw_{op}: {hi} vs {lo} live",
                    ("scaling", f"raw_{op}", hi),
                    ("scaling", f"raw_{op}", lo),
                    None,
                    f"raw@{hi}",
                    f"raw@{lo}",
                )
    return out


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    root = os.path.join(target, "criterion")
    res = load(root)
    if not res:
        print(f"no criterion results under {root}; run: cargo bench -p fmap --bench sections", file=sys.stderr)
        return 2
    table = rows(res)
    head = ("operation", "fmap median", "raw median", "ratio", "target")
    lines = []
    missed = 0
    for op, a, b, r, t, la, lb in table:
        if t is None:
            verdict = "-"
        elif r <= t:
            verdict = f"<= {t}x ok"
        else:
            verdict = f"<= {t}x MISSED"
            missed += 1
        a_s = fmt_ns(a) if la == "fmap" else f"{fmt_ns(a)} ({la})"
        b_s = fmt_ns(b) if lb == "raw" else f"{fmt_ns(b)} ({lb})"
        lines.append((op, a_s, b_s, f"{r:.2f}x", verdict))
    widths = [max(len(str(x[i])) for x in [head] + lines) for i in range(len(head))]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("-|-".join("-" * w for w in widths))
    for line in lines:
        print(" | ".join(str(c).ljust(w) for c, w in zip(line, widths)))
    if missed:
        print(f"\n{missed} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
