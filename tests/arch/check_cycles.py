#!/usr/bin/env python3
"""tests/arch/check_cycles.py — no two files of one library folder include or call each
other in a loop (issue 15), checked on the real sources and the real object files.

For every top-level folder whose meson.build builds a static_library (daemon/, store/,
nlu/, ...; found by reading the meson.build files, so a new library is covered without
registering it here), the file graph of that folder is built from two sources:

  include  A -> B  when A.c or A.h has `#include "B.h"` and B.h is in the same folder;
           a header with no .c of its own (daemon/worker.h) stands for what it includes,
           so A.c including worker.h depends on everything worker.h includes.
  call     A -> B  when the object A.c.o has an undefined symbol that B.c.o defines
           (`nm` on the folder's lib*.a from the build tree: binutils, scripts/deps).

A and B are modules (the stem: server.c and server.h are one node; test_*.c, fuzz
harnesses and fixtures are not in the library and not in the graph).  Any strongly
connected component with more than one module is a loop: the test prints each one with
the edges that close it and fails.  It also fails when a library folder has no archive
in the build tree, when nm finds no symbols, or when its own self-test (a graph with an
injected loop must be caught, one without must pass) fails: it cannot pass silently.

Usage: check_cycles.py SOURCE_ROOT BUILD_ROOT
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
STATIC_LIB = re.compile(r"static_library\(\s*'([^']+)'")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


def sccs(nodes, edges):
    """Tarjan: the strongly connected components of (nodes, edges: node -> set)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def loops(nodes, edges):
    return [c for c in sccs(nodes, edges) if len(c) > 1]


def self_test():
    """The detector must see an injected loop and pass a graph without one."""
    dag = {"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}
    cyc = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    two = {"x": {"y"}, "y": {"x"}}
    ok = (not loops(dag.keys(), dag) and loops(cyc.keys(), cyc) == [["a", "b", "c"]]
          and loops(two.keys(), two) == [["x", "y"]])
    if not ok:
        print("check_cycles: self-test failed: the loop detector is broken")
    return ok


def library_folders(src):
    """{folder: [library target names]} for top-level folders building static libraries."""
    out = {}
    for d in sorted(os.listdir(src)):
        mb = os.path.join(src, d, "meson.build")
        if d.startswith(".") or not os.path.isfile(mb):
            continue
        with open(mb, encoding="utf-8") as f:
            names = STATIC_LIB.findall(f.read())
        if names:
            out[d] = names
    return out


def nm_symbols(archive):
    """{member stem: (defined set, undefined set)} of a static library."""
    res = subprocess.run(["nm", "-A", "-g", archive], capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError("nm %s: %s" % (archive, res.stderr.strip()))
    out = {}
    for line in res.stdout.splitlines():
        # libx.a:member.c.o:0000000000000000 T name   /   libx.a:member.c.o:   U name
        head, _, rest = line.rpartition(":")
        member = head.split(":")[-1]
        parts = rest.split()
        if len(parts) < 2 or not member.endswith(".o"):
            continue
        kind, name = parts[-2], parts[-1]
        stem = os.path.basename(member)
        stem = stem[:-len(".c.o")] if stem.endswith(".c.o") else stem[:-2]
        d, u = out.setdefault(stem, (set(), set()))
        (u if kind == "U" else d).add(name)
    return out


def folder_graph(src, build, folder, libs):
    """(modules, edges {a: {b: reason}}, problems) of one library folder."""
    problems = []
    syms = {}
    for lib in libs:
        archive = os.path.join(build, folder, "lib%s.a" % lib)
        if not os.path.isfile(archive):
            problems.append("%s: no %s (build the tree first)" % (folder, archive))
            continue
        syms.update(nm_symbols(archive))
    if not problems and not any(d for d, _ in syms.values()):
        problems.append("%s: nm found no symbols in its archive" % folder)
    modules = set(syms)
    edges = {m: {} for m in modules}

    # calls: an undefined symbol of A defined by B
    owner = {}
    for m, (d, _) in syms.items():
        for s in d:
            owner.setdefault(s, m)
    for m, (_, u) in syms.items():
        for s in u:
            t = owner.get(s)
            if t and t != m:
                edges[m].setdefault(t, "%s.c calls %s (%s.c)" % (m, s, t))

    # includes: direct, and through headers that have no .c of their own
    fdir = os.path.join(src, folder)
    files = set(os.listdir(fdir))

    def includes(name):
        try:
            with open(os.path.join(fdir, name), encoding="utf-8", errors="replace") as f:
                return [h for h in INCLUDE.findall(f.read()) if h in files]
        except OSError:
            return []

    # Which file a header belongs to: the one that defines every function it declares
    # (server.h -> server.c).  A header whose functions several files define (policy.h,
    # daemon/worker.h) or that declares none of its own (types only, no .c of its
    # stem) is an interface of the folder: a node of its own, whose edges are its
    # includes.  Its includers depend on it, not on the files behind it.
    strong = {s: m for m, (d, _) in syms.items() for s in d}

    def header_node(h):
        try:
            with open(os.path.join(fdir, h), encoding="utf-8", errors="replace") as f:
                text = COMMENT.sub(" ", f.read())
        except OSError:
            text = ""
        owners = {strong[w] for w in IDENT.findall(text) if w in strong}
        stem = h[:-2]
        if len(owners) == 1:
            return owners.pop()
        if not owners and stem in modules:
            return stem
        return h

    node_of = {}
    for f in sorted(files):
        if f.endswith(".h"):
            node_of[f] = header_node(f)
        elif f.endswith(".c") and f[:-2] in modules:
            node_of[f] = f[:-2]
    for f, n in node_of.items():
        if n not in modules:
            modules.add(n)
            edges[n] = {}
    for f, n in sorted(node_of.items()):
        for h in includes(f):
            t = node_of.get(h)
            if t and t != n:
                edges[n].setdefault(t, "%s includes %s" % (f, h))
    return modules, edges, problems


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    src, build = sys.argv[1], sys.argv[2]
    if not self_test():
        return 1
    folders = library_folders(src)
    if len(folders) < 2:
        print("check_cycles: found %d library folders under %s: wrong source root?"
              % (len(folders), src))
        return 1
    bad = 0
    for folder, libs in folders.items():
        modules, edges, problems = folder_graph(src, build, folder, libs)
        for p in problems:
            print("check_cycles: " + p)
            bad += 1
        n_edges = sum(len(v) for v in edges.values())
        found = loops(modules, {m: set(v) for m, v in edges.items()})
        print("%-10s %3d files, %3d edges, %d loops" % (folder + "/", len(modules), n_edges,
                                                        len(found)))
        for comp in found:
            bad += 1
            print("  LOOP: " + " <-> ".join(comp))
            for a in comp:
                for b, why in sorted(edges[a].items()):
                    if b in comp:
                        print("    %s -> %s: %s" % (a, b, why))
    if bad:
        print("check_cycles: %d problem(s)" % bad)
        return 1
    print("check_cycles: no loops in %d library folders" % len(folders))
    return 0


if __name__ == "__main__":
    sys.exit(main())
