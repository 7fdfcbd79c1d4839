#!/usr/bin/env python3
"""bench/prof/flame.py — a flame graph (SVG) and the hottest functions of a `perf record -g`
profile, with nothing but Python's standard library and Debian's `perf`.

  bench/prof/flame.py PERF_DATA OUT.svg [--title T] [--threads] [--min-pct P] [--top N]
  perf script -i PERF_DATA | bench/prof/flame.py - OUT.svg ...

Reads the samples `perf script` prints (a header line per sample, then its call stack from
the leaf down, a blank line after), folds identical stacks, and draws them root at the
bottom, one box a function, as wide as the share of samples whose stack passes through it;
a box's tooltip (SVG <title>) gives the function, its samples and share.  With --threads
each stack starts at its thread's name (kefud's threads are named kd-worker, kd-writer,
...), so a whole process's profile splits by thread first.  Boxes narrower than --min-pct
of all samples (0.2) are left out.  Colours tell the profiled program's own functions,
kefu's (warm), from shared libraries (cool: OpenBLAS, SQLite, libc) and the kernel (grey).  Prints the --top (15) functions by
self samples (the leaf of the stack) with their share, which is what docs/performance.md
quotes beside each graph.  The SVG has no script: it is a picture with tooltips.
"""
import argparse
import html
import os
import re
import subprocess
import sys
from collections import defaultdict

KIND = {}   # function -> "own" (the profiled program, kefu's code), "kernel" or "lib"


def kind_of(dso):
    if dso.startswith("[kernel") or dso in ("[vdso]", "[vsyscall]"):
        return "kernel"
    return "lib" if ".so" in os.path.basename(dso) else "own"
FRAME = re.compile(r"^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def frames_of(lines, threads):
    """Yields each sample's stack, root first, from `perf script` text: a header line
    (comm, then the thread id) and the stack's frames, each on a line that starts with a
    tab, from the leaf down."""
    stack, comm = [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None and stack:
                yield ([comm] if threads else []) + stack[::-1]
            stack, comm = [], None
        elif not line.startswith("\t"):
            comm = line.strip().rsplit(None, 1)[0]
        else:
            m = FRAME.match(line)
            if not m:
                continue
            sym, dso = re.sub(r"\+0x[0-9a-f]+$", "", m.group(2)), m.group(3)
            if sym in ("[unknown]", ""):
                if dso in ("[unknown]", ""):
                    continue                 # a broken unwind's tail, not a function
                sym = "[%s]" % os.path.basename(dso)
            KIND.setdefault(sym, kind_of(dso))
            stack.append(sym)
    if comm is not None and stack:
        yield ([comm] if threads else []) + stack[::-1]


class Node:
    __slots__ = ("name", "total", "children")

    def __init__(self, name):
        self.name, self.total, self.children = name, 0, {}


def build(stacks):
    root, self_count = Node("all"), defaultdict(int)
    for st in stacks:
        root.total += 1
        node = root
        for f in st:
            node = node.children.setdefault(f, Node(f))
            node.total += 1
        self_count[st[-1]] += 1
    return root, self_count


def colour(name):
    h = sum(map(ord, name)) % 40
    kind = KIND.get(name)
    if kind == "own":
        return "rgb(%d,%d,%d)" % (230, 120 + h * 2, 50 + h)       # kefu: warm
    if kind == "lib":
        return "rgb(%d,%d,%d)" % (80 + h, 150 + h, 200)            # libraries: cool
    return "rgb(%d,%d,%d)" % (150 + h, 150 + h, 160 + h)           # kernel, threads: grey


def render(root, title, min_pct, width=1200, row=16):
    rects, depth_max = [], 0
    min_w = root.total * min_pct / 100.0

    def walk(node, x, depth):
        nonlocal depth_max
        depth_max = max(depth_max, depth)
        rects.append((node, x, depth))
        cx = x
        for child in sorted(node.children.values(), key=lambda n: n.name):
            if child.total >= min_w:
                walk(child, cx, depth + 1)
            cx += child.total

    walk(root, 0, 0)
    height = (depth_max + 1) * row + 40
    scale = (width - 20) / float(root.total or 1)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="monospace" font-size="11">' % (width, height),
           '<rect width="100%%" height="100%%" fill="#fdfdf6"/>',
           '<text x="10" y="18" font-size="14">%s (%d samples)</text>'
           % (html.escape(title), root.total)]
    for node, x, depth in rects:
        w = node.total * scale
        px, py = 10 + x * scale, height - (depth + 1) * row - 4
        pct = 100.0 * node.total / root.total
        label = html.escape(node.name)
        out.append('<g><title>%s: %d samples, %.2f %%</title>'
                   '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" rx="1"/>'
                   % (label, node.total, pct, px, py, max(w - 0.5, 0.3), row - 1,
                      colour(node.name)))
        chars = int(w / 6.6)
        if chars >= 3:
            text = node.name if len(node.name) <= chars else node.name[:chars - 2] + ".."
            out.append('<text x="%.1f" y="%d">%s</text>' % (px + 2, py + row - 4,
                                                          html.escape(text)))
        out.append('</g>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="perf.data, or - for `perf script` text on stdin")
    ap.add_argument("out", help="the SVG to write")
    ap.add_argument("--title", default="")
    ap.add_argument("--threads", action="store_true", help="root each stack at its thread")
    ap.add_argument("--min-pct", type=float, default=0.2)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    if a.data == "-":
        lines = sys.stdin
    else:
        p = subprocess.run(["perf", "script", "-i", a.data, "-F", "comm,tid,ip,sym,dso"],
                           capture_output=True, text=True, errors="replace", check=False)
        if p.returncode != 0:
            sys.exit("flame.py: perf script failed: %s" % p.stderr.strip()[:500])
        lines = p.stdout.splitlines()
    root, self_count = build(frames_of(lines, a.threads))
    if not root.total:
        sys.exit("flame.py: no samples with a call stack (record with perf record -g)")
    with open(a.out, "w") as f:
        f.write(render(root, a.title or os.path.basename(a.data), a.min_pct))
    print("%s: %d samples" % (a.out, root.total))
    print("self %   samples  function")
    for name, n in sorted(self_count.items(), key=lambda kv: -kv[1])[:a.top]:
        print("%6.2f %9d  %s" % (100.0 * n / root.total, n, name))


if __name__ == "__main__":
    main()
