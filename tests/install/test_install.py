"""tests/install/test_install.py — kefu as a fresh machine gets it: `meson install` into a
temporary DESTDIR, then the INSTALLED kefud started from there with a temporary state
folder and the installed /etc/kefu/kefud.ini, answering over WebSocket.

It proves:
- no path of the build machine (the source or build folder) is in any installed program:
  `strings -a` on every file under bin/ (and lib/, if anything is installed there);
- the install has its parts: kefud, kefu (and kefu-voice where built) in bin, the web pages
  and the converted models under share/kefu, the generated kefud.ini (database in
  /var/lib/kefu) and kefud.service;
- the installed kefud serves ITS files: a marker page written only into the DESTDIR's
  share/kefu/web is served, so the pages do not come from the source tree, and the
  installed `kefu --help` runs;
- the unit file passes `systemd-analyze verify` when systemd-analyze is present.
Environment (tests/meson.build): KEFU_BUILD_ROOT, KEFU_SRCDIR, KEFU_PREFIX, KEFU_SYSCONFDIR.
"""
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import kefutest as kt
from kefutest import check


def run():
    build = os.environ["KEFU_BUILD_ROOT"]
    src = os.path.realpath(kt.SRCDIR)
    prefix = os.environ.get("KEFU_PREFIX", "/usr/local")
    dest = tempfile.mkdtemp(prefix="kefu-install-")
    try:
        r = subprocess.run(["meson", "install", "-C", build, "--destdir", dest,
                            "--no-rebuild", "--quiet"],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, "meson install failed:\n%s%s", r.stdout, r.stderr)
        root = dest + prefix
        bindir = os.path.join(root, "bin")
        data = os.path.join(root, "share", "kefu")
        for prog in ("kefud", "kefu"):
            check(os.access(os.path.join(bindir, prog), os.X_OK), "%s not installed", prog)
        check(os.path.isfile(os.path.join(data, "web", "chat.html")), "web pages missing")
        if os.path.isfile(os.path.join(src, "models", "glove-100d.kfv")):
            check(os.path.isfile(os.path.join(data, "models", "glove-100d.kfv")),
                  "converted models not installed into share/kefu/models")

        # 1. no build-machine folder inside any installed program
        needles = {os.path.realpath(build), src, os.path.realpath(dest)}
        scanned = 0
        for top in ("bin", "lib", "lib64", "libexec"):
            for dirpath, _, files in os.walk(os.path.join(root, top)):
                for f in files:
                    p = os.path.join(dirpath, f)
                    out = subprocess.run(["strings", "-a", p], capture_output=True,
                                         check=True).stdout.decode("latin-1")
                    for n in needles:
                        # the folder itself, not a longer name that starts the same way
                        # (a checkout in /tmp/k must not match "/tmp/kefu-...")
                        hit = re.search(re.escape(n) + r"(?=[/\s\x00\"']|$)", out, re.M)
                        check(not hit, "%s holds the build machine's path %s", p, n)
                    scanned += 1
        check(scanned >= 2, "only %d installed files scanned", scanned)
        kt.log("strings: %d installed files hold no path of %s", scanned, sorted(needles))

        # 2. the generated configuration and unit
        ini_path = dest + os.path.join(os.environ["KEFU_SYSCONFDIR"], "kefu", "kefud.ini")
        with open(ini_path) as f:
            ini = f.read()
        check("\ndb = /var/lib/kefu/kefu.db\n" in ini, "kefud.ini does not set the db")
        unit = os.path.join(root, "lib", "systemd", "system", "kefud.service")
        with open(unit) as f:
            u = f.read()
        for want in ("DynamicUser=yes", "StateDirectory=kefu", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "Restart=on-failure",
                     "ExecReload=/bin/kill -HUP $MAINPID",
                     "ExecStart=%s/bin/kefud --config " % prefix):
            check(want in u, "kefud.service lacks %r", want)
        sa = shutil.which("systemd-analyze")
        if sa:
            # verify the unit as installed under DESTDIR (ExecStart must exist there)
            vunit = os.path.join(dest, "kefud.service")
            with open(vunit, "w") as f:
                f.write(u.replace("ExecStart=%s/bin/kefud" % prefix,
                                  "ExecStart=%s/kefud" % bindir))
            r = subprocess.run([sa, "verify", vunit], capture_output=True, text=True)
            msgs = [ln for ln in (r.stdout + r.stderr).splitlines()
                    if "kefud.service" in ln and "Failed to" not in ln
                    and "cannot be" not in ln]
            check(r.returncode == 0 or not msgs, "systemd-analyze verify: %s",
                  r.stdout + r.stderr)

        # 3. the installed kefud serves the installed files
        marker = "installed-%s.txt" % uuid.uuid4().hex
        token = uuid.uuid4().hex
        with open(os.path.join(data, "web", marker), "w") as f:
            f.write(token)
        state = tempfile.mkdtemp(prefix="kefu-state-")
        kt.KEFUD = os.path.join(bindir, "kefud")
        d = kt.Kefud("--config", ini_path, "--workers", "1", "--asr", "false",
                     db=os.path.join(state, "kefu.db"), tmp=state, name="installed-kefud")
        d.start()
        st, _, body = kt.http_get(d.port, "/" + marker)
        check(st == 200 and body.decode() == token,
              "the installed kefud did not serve its own share/kefu/web (%s)", st)
        check(not os.path.exists(os.path.join(src, "web", marker)), "marker in source tree?")
        ws = d.ws()
        ws.welcome()
        r = ws.ask("c-1", "I lost my card")
        kt.check_reply(r)
        check(r["fallback"] is False, "installed kefud did not answer: %r", r)
        ws.close()
        d.stop()
        with open(d.logpath, errors="replace") as f:
            lg = f.read()
        check(src + "/" not in lg, "the installed kefud's log names the source tree")
        out = subprocess.run([os.path.join(bindir, "kefu"), "--help"], capture_output=True,
                             text=True, timeout=60)
        check(out.returncode == 0 and "usage" in (out.stdout + out.stderr).lower(),
              "installed kefu --help: %s", out.stderr)
        kt.log("installed kefud at %s served %s and answered over WebSocket", bindir, marker)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


if __name__ == "__main__":
    kt.main(run)
