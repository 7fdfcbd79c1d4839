#!/usr/bin/python3
"""tests/deps/check_deps.py — fails when something that tests, benches or scripts use is not
declared for set-up, so a fresh machine (which gets only what scripts/deps/*.apt and
scripts/npm/*/package.json declare) would lack it.  Three kinds are checked:

- Python modules imported by any tracked *.py file: each must be the standard library, a file
  of the project, or owned by a Debian package that scripts/deps/*.apt declares (or that a
  declared package depends on directly);
- Node packages required or imported by any tracked *.js file outside web/ (web/ runs in the
  browser): each must be a Node built-in or a dependency in some scripts/npm/*/package.json;
- commands run by tracked shell scripts (*.sh) and by Python/JS subprocess calls whose program
  is a string literal: each must be a shell builtin, a project file, or a program owned by an
  essential/required Debian package, a declared package or a direct dependency of one.

Run from anywhere: `/usr/bin/python3 tests/deps/check_deps.py [SRCDIR]`; prints one line per
undeclared item and exits 1 when there is any.  Single-threaded; reads git's file list, dpkg and
apt-cache; changes nothing.  Registered in tests/meson.build (suite `deps`)."""
import ast
import functools
import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
os.chdir(ROOT)

# Words that look like commands in shell code but are the shell's own.
SHELL_WORDS = set("""
. : [ [[ ]] alias bg break builtin caller case cd command compgen complete continue declare
dirs disown do done echo elif else enable esac eval exec exit export false fc fg fi for function
getopts hash help history if in jobs kill let local logout mapfile popd printf pushd pwd read
readarray readonly return select set shift shopt source suspend test then time times trap true
type typeset ulimit umask unalias unset until wait while { } !
""".split())


# Installed by scripts/setup.sh itself when missing (Debian's nodejs + npm, see its comment).
SETUP_INSTALLS = {"node", "npm"}


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def tracked(*patterns):
    return [f for f in run("git", "ls-files", *patterns).split() if os.path.isfile(f)]


def declared_packages():
    """Packages in scripts/deps/*.apt, the ones they depend on directly, and every package
    Debian installs on any system (Essential: yes, or Priority: required)."""
    pkgs = set()
    for f in glob.glob("scripts/deps/*.apt"):
        for line in open(f):
            pkgs.update(line.split("#")[0].split())
    # one apt-cache call for all of them (a call each took over a second apiece)
    for line in run("apt-cache", "depends", "--important", *sorted(pkgs)).splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:", "|Depends:")):
            pkgs.add(line.split(":", 1)[1].strip().strip("<>"))
    for line in run("dpkg-query", "-W", "-f=${Package} ${Essential} ${Priority}\n").splitlines():
        name, essential, prio = (line.split() + ["", "", ""])[:3]
        if essential == "yes" or prio == "required":
            pkgs.add(name)
    return {p.split(":")[0] for p in pkgs}


@functools.lru_cache(maxsize=None)
def owner(path):
    """The Debian package that owns a file (following /usr-merge symlinks), or None."""
    for p in (path, os.path.realpath(path)):
        for cand in (p, p.replace("/usr/bin/", "/bin/"), p.replace("/bin/", "/usr/bin/")):
            out = run("dpkg", "-S", cand) or ""
            for line in out.splitlines():   # "diversion by PKG from/to: ..." lines say who
                if ":" in line and not line.startswith("diversion by "):   # diverts, not owns
                    return line.split(":")[0].split(",")[0].strip()
    return None


def python_imports(files, local):
    found = {}
    for f in files:
        try:
            tree = ast.parse(open(f, encoding="utf-8").read())
        except (SyntaxError, UnicodeDecodeError):
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                mods = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                mods = [n.module]
            else:
                continue
            for m in mods:
                top = m.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, f)
    return found


def python_commands(files):
    """First element of subprocess.run/Popen/call/check_*([...]) lists that is a literal."""
    found = {}
    for f in files:
        try:
            tree = ast.parse(open(f, encoding="utf-8").read())
        except (SyntaxError, UnicodeDecodeError):
            continue
        for n in ast.walk(tree):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr in ("run", "Popen", "call", "check_call", "check_output")
                    and n.args and isinstance(n.args[0], ast.List) and n.args[0].elts):
                continue
            first = n.args[0].elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, f)
    return found


JS_REQ = re.compile(r"""(?:require\(\s*|import\s+(?:[\w{}*\s,]+\s+from\s+)?|import\(\s*)['"]([^'"]+)['"]""")
JS_SPAWN = re.compile(r"""\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*['"]([^'"]+)['"]""")


def js_uses(files):
    pkgs, cmds = {}, {}
    for f in files:
        src = open(f, encoding="utf-8").read()
        for m in JS_REQ.finditer(src):
            name = m.group(1)
            if name.startswith((".", "/")):
                continue
            name = name[len("node:"):] if name.startswith("node:") else name
            top = "/".join(name.split("/")[:2]) if name.startswith("@") else name.split("/")[0]
            pkgs.setdefault(top, f)
        for m in JS_SPAWN.finditer(src):
            cmds.setdefault(m.group(1), f)
    return pkgs, cmds


def shell_commands(files):
    """Command words of simple commands: the first word of a line and after | && || ; ( $( ` ,
    skipping assignments, redirections and the words that follow sudo/exec/timeout/env.
    A function defined in any of the files is not a command: scripts source each other's
    helpers (scripts/npm/convert.sh's npm_convert)."""
    found = {}
    sep = re.compile(r"\|\||&&|[|;(`]|\$\(")
    shared = set()
    for f in files:
        shared |= set(re.findall(r"^\s*(?:function\s+)?([\w-]+)\s*\(\)",
                                 open(f, encoding="utf-8").read(), flags=re.M))
    for f in files:
        text = open(f, encoding="utf-8").read()
        text = re.sub(r"<<-?\s*'?(\w+)'?.*?\n.*?\n\s*\1\n", "\n", text, flags=re.S)  # heredocs
        text = re.sub(r"\$?\(\((?:[^()]|\([^()]*\))*\)\)", "NUM", text)  # arithmetic
        text = text.replace("\\\n", " ")  # continuation lines
        text = re.sub(r"(^|[ \t])#[^\n]*", r"\1", text, flags=re.M)  # comments (not $# or ${#a})

        def unquote(m):  # quotes may span lines; keep the $(...) inside double quotes
            if m.group(0).startswith("'"):
                return "STR"
            return "STR" + "".join(f"; {c};" for c in re.findall(r"\$\(([^()]*)\)", m.group(0)))
        text = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", unquote, text, flags=re.S)
        funcs = shared | set(re.findall(r"^\s*(?:function\s+)?([\w-]+)\s*\(\)", text, flags=re.M))
        for line in text.splitlines():
            line = line.split(" #")[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in sep.split(line):
                words = part.split()
                while words and (re.match(r"^\w+=", words[0]) or words[0] in
                                 ("sudo", "exec", "env", "nice", "time", "$sudo_cmd", "!")
                                 or re.match(r"^[0-9]*[<>]", words[0])):
                    words = words[1:]
                if words and words[0] == "timeout" and len(words) > 2:
                    words = words[2:]
                if not words:
                    continue
                w = words[0]
                if (w in SHELL_WORDS or w in funcs or not re.match(r"^[A-Za-z_][\w.+-]*$", w)
                        or w in ("STR", "NUM") or w.endswith((")", "}"))):
                    continue
                found.setdefault(w, f)
    return found


def main():
    declared = declared_packages()
    problems = []
    py_files = tracked("*.py")
    local = ({os.path.splitext(os.path.basename(f))[0] for f in py_files}
             | {os.path.basename(os.path.dirname(f)) for f in py_files})

    for mod, f in sorted(python_imports(py_files, local).items()):
        spec = importlib.util.find_spec(mod)
        origin = spec and (spec.origin or (list(spec.submodule_search_locations or []) or [None])[0])
        if not origin or origin in ("built-in", "frozen"):
            problems.append(f"python module {mod} ({f}): not installed; declare its Debian package")
            continue
        pkg = owner(origin)
        if pkg not in declared:
            problems.append(f"python module {mod} ({f}): package {pkg or '(none: ' + origin + ')'}"
                            " is not in scripts/deps/*.apt")

    npm_deps = set()
    for pj in glob.glob("scripts/npm/*/package.json"):
        data = json.load(open(pj))
        npm_deps.update(data.get("dependencies", {}))
        npm_deps.update(data.get("devDependencies", {}))
    node_builtins = set(run("node", "-p", "require('module').builtinModules.join(' ')").split())
    js_files = [f for f in tracked("*.js", "*.mjs") if not f.startswith("web/")]
    js_pkgs, js_cmds = js_uses(js_files)
    for pkg, f in sorted(js_pkgs.items()):
        if pkg not in npm_deps and pkg not in node_builtins:
            problems.append(f"node package {pkg} ({f}): not a dependency in scripts/npm/*/package.json")

    cmds = shell_commands(tracked("*.sh"))
    for table in (python_commands(py_files), js_cmds):
        for c, f in table.items():
            cmds.setdefault(c, f)
    for cmd, f in sorted(cmds.items()):
        if "/" in cmd:
            if cmd.startswith("/") and not cmd.startswith(ROOT):
                pkg = owner(cmd) if os.path.exists(cmd) else None
                if pkg not in declared:
                    problems.append(f"command {cmd} ({f}): package {pkg} is not declared")
            continue
        if cmd in SHELL_WORDS or os.path.exists(os.path.join(os.path.dirname(f), cmd)):
            continue
        if cmd in SETUP_INSTALLS:
            continue
        # every program of that name on the PATH: one from a declared package is enough (this
        # machine may also have a hand-installed one earlier on the PATH)
        paths = [os.path.join(d, cmd) for d in os.environ.get("PATH", "").split(":") if d]
        paths = [p for p in paths if os.path.isfile(p) and os.access(p, os.X_OK)]
        if not paths:
            problems.append(f"command {cmd} ({f}): not found on PATH; declare its package")
            continue
        pkgs = [owner(p) for p in paths]
        if not any(p in declared for p in pkgs):
            named = [p for p in pkgs if p] or ["(no Debian package)"]
            problems.append(f"command {cmd} ({f}): package {named[0]} is not in scripts/deps/*.apt")

    for p in problems:
        print("undeclared:", p)
    print(f"checked {len(py_files)} Python, {len(js_files)} JS, {len(tracked('*.sh'))} shell files:"
          f" {len(problems)} undeclared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
