"""tests/integration/test_config.py — configuration errors stop kefud before it serves:
an unknown option or a bad value in a config file exits non-zero with a message naming
file:line and the option; bad flags likewise name the flag.  A good config file is
read and applied (its max_text is enforced).  --config naming a folder is refused."""
import os
import subprocess
import tempfile

import kefutest as kt
from kefutest import check


def expect_fail(args, *needles):
    p = subprocess.run([kt.KEFUD] + args, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    check(p.returncode != 0, "kefud %s should fail, exited 0:\n%s", " ".join(args), out)
    for n in needles:
        check(n in out, "kefud %s: message should name %r:\n%s", " ".join(args), n, out)
    kt.log("  %-40s -> exit %d: %s", " ".join(args)[-40:], p.returncode,
           out.strip().splitlines()[-1] if out.strip() else "")


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-conf-")
    db = os.path.join(tmp, "x.db")

    def conf(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    base = ["--listen", "127.0.0.1:0", "--db", db]
    p = conf("unknown.ini", "# kefu\nworkers = 2\nno_such_option = 1\n")
    expect_fail(["--config", p] + base, p + ":3", "no_such_option")
    p = conf("badint.ini", "\n\nlog_level = info\nworkers = lots\n")
    expect_fail(["--config", p] + base, p + ":4", "workers")
    p = conf("range.ini", "queue_size = 0\n")
    expect_fail(["--config", p] + base, p + ":1", "queue_size")
    p = conf("bool.ini", "max_text = 10\n\ndemo = maybe\n")
    expect_fail(["--config", p] + base, p + ":3", "demo")
    p = conf("syntax.ini", "workers = 1\nthis line has no equals sign\n")
    expect_fail(["--config", p] + base, p + ":2")
    expect_fail(["--config", os.path.join(tmp, "missing.ini")] + base, "missing.ini")
    expect_fail(["--config", tmp] + base, tmp, "not a regular file")   # a folder
    expect_fail(base + ["--no-such-flag", "1"], "no-such-flag")
    expect_fail(base + ["--workers", "-3"], "workers")

    # A good file is applied; flags override it.
    good = conf("good.ini", "# a documented example\nmax_text = 10\nworkers = 1\n"
                "log_level = warn\n")
    d = kt.Kefud("--config", good, tmp=tmp).start()
    ws = d.ws()
    ws.welcome()
    ws.message("long", "a" * 11)
    ws.expect_error("text_too_long", "long")
    ws.ask("short", "lost card")
    ws.close()
    d.stop()

    # The example config kefud prints is itself a valid config file.
    p = subprocess.run([kt.KEFUD, "--print-config"], capture_output=True, timeout=30)
    check(p.returncode == 0 and b"listen" in p.stdout, "--print-config failed")
    long = [ln for ln in p.stdout.decode().splitlines() if len(ln) > 100]
    check(not long, "--print-config lines over 100 columns (libinih refuses 200): %r",
          long[:1])
    ex = conf("example.ini", p.stdout.decode())
    d2 = kt.Kefud("--config", ex, tmp=tmp, name="kefud-example").start()
    d2.stop()


kt.main(run)
