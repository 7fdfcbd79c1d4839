"""tests/integration/test_operator_cli.py — operator accounts from the command line on a
real database file: kefud's first start without an operator says how to make one (and
stops saying it once one exists); `kefu operator add` reads the password from stdin
(too short, not UTF-8, a duplicate login and a password flag are refused, nothing
written); `list` (text and JSON); the stored hash is an argon2id PHC string with
m=19456,t=2,p=1; `token` prints a bearer token once and the store keeps only its
SHA-256; `tokens`, `revoke` (twice: refused); `disable`/`enable`; `passwd`; and
`kefu audit` (text, --json, --since) naming each change and the Unix user who made it.
"""
import hashlib
import json
import os
import pwd
import sqlite3
import subprocess
import sys
import tempfile

import kefutest as kt
from kefutest import check

PW = "correct horse battery"


def kefu(*args, stdin=None, ok=True):
    """Runs kefu with stdin text; returns (rc, stdout, stderr)."""
    if not kt.KEFU:
        print("kefu CLI not built: skipped")
        sys.exit(77)
    p = subprocess.run([kt.KEFU] + list(args), input=stdin, capture_output=True, timeout=120)
    out, err = p.stdout.decode(), p.stderr.decode(errors="replace")
    if ok:
        check(p.returncode == 0, "kefu %s failed (%d): %s", " ".join(args), p.returncode, err)
    return p.returncode, out, err


def q(db, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def kefud_log(db, tmp):
    d = kt.Kefud(db=db, tmp=tmp).start()
    d.stop()
    with open(d.logpath, errors="replace") as f:
        return f.read()


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-it-")
    db = os.path.join(tmp, "kefu.db")
    me = "cli:" + pwd.getpwuid(os.getuid()).pw_name

    log = kefud_log(db, tmp)
    check("no operator account yet" in log and "kefu operator add LOGIN --role admin" in log,
          "first start explains how to add an operator: %s", log[-2000:])

    # refusals write nothing
    rc, _, err = kefu("operator", "add", "ann", "--role", "admin", "--db", db,
                      stdin=b"too short\n", ok=False)
    check(rc == 1 and "shorter than 12" in err, "short password refused: %d %s", rc, err)
    rc, _, err = kefu("operator", "add", "ann", "--role", "admin", "--db", db,
                      stdin=b"not utf-8 \xff\xfe here\n", ok=False)
    check(rc == 1 and "UTF-8" in err, "invalid UTF-8 refused: %d %s", rc, err)
    rc, _, err = kefu("operator", "add", "ann", "--role", "root", "--db", db,
                      stdin=(PW + "\n").encode(), ok=False)
    check(rc == 1 and "admin or agent" in err, "bad role refused: %d %s", rc, err)
    rc, _, err = kefu("operator", "add", "ann", "--role", "admin", "--password", PW, "--db", db,
                      stdin=b"", ok=False)
    check(rc == 2, "no password flag exists: %d %s", rc, err)
    check(q(db, "SELECT count(*) FROM operators")[0][0] == 0, "nothing added")
    check(q(db, "SELECT count(*) FROM audit_log")[0][0] == 0, "nothing audited")

    _, out, _ = kefu("operator", "add", "ann", "--role", "admin", "--name", "Ann Admin",
                     "--db", db, stdin=(PW + "\n").encode())
    check("added operator ann" in out, "add output: %s", out)
    kefu("operator", "add", "bob", "--role", "agent", "--db", db,
         stdin=b"another long passphrase\r\n")
    rc, _, err = kefu("operator", "add", "bob", "--role", "agent", "--db", db,
                      stdin=(PW + "\n").encode(), ok=False)
    check(rc == 1 and "exists" in err, "duplicate login refused: %d %s", rc, err)

    ops = json.loads(kefu("operator", "list", "--json", "--db", db)[1])
    check([(o["login"], o["role"], o["name"], o["disabled"]) for o in ops] ==
          [("ann", "admin", "Ann Admin", False), ("bob", "agent", "", False)],
          "list --json: %s", ops)
    _, out, _ = kefu("operator", "list", "--db", db)
    check("ann" in out and "admin" in out and "Ann Admin" in out, "list: %s", out)
    (h,), = q(db, "SELECT pass_hash FROM operators WHERE login = 'ann'")
    check(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and PW not in h, "PHC string: %s", h)
    (h2,), = q(db, "SELECT pass_hash FROM operators WHERE login = 'bob'")
    check(h2 != h, "each password has its own salt")

    # a bearer token, shown once, kept hashed
    _, out, err = kefu("operator", "token", "bob", "--name", "nightly export", "--db", db)
    token = out.strip()
    check(len(out.splitlines()) == 1 and token.startswith("kefu_") and len(token) == 69,
          "token output: %r", out)
    check("not shown again" in err, "token notice: %s", err)
    rows = q(db, "SELECT token_hash, role, name FROM api_tokens")
    check(rows == [(hashlib.sha256(token.encode()).hexdigest(), "agent", "nightly export")],
          "stored token row: %s", rows)
    rc, _, err = kefu("operator", "token", "bob", "--role", "admin", "--db", db, ok=False)
    check(rc == 1 and "above" in err, "an agent gets no admin token: %d %s", rc, err)
    toks = json.loads(kefu("operator", "tokens", "bob", "--json", "--db", db)[1])
    check(len(toks) == 1 and toks[0]["revoked_ms"] == 0, "tokens: %s", toks)
    kefu("operator", "revoke", str(toks[0]["id"]), "--db", db)
    toks = json.loads(kefu("operator", "tokens", "--json", "--db", db)[1])
    check(toks[0]["revoked_ms"] > 0, "revoked: %s", toks)
    rc, _, _ = kefu("operator", "revoke", str(toks[0]["id"]), "--db", db, ok=False)
    check(rc == 1, "revoking twice is refused")

    kefu("operator", "disable", "bob", "--db", db)
    ops = json.loads(kefu("operator", "list", "--json", "--db", db)[1])
    check(ops[1]["disabled"] is True, "bob disabled: %s", ops)
    kefu("operator", "enable", "Bob", "--db", db)   # login arguments fold to lowercase
    rc, _, err = kefu("operator", "disable", "nobody", "--db", db, ok=False)
    check(rc == 1 and "no operator nobody" in err, "unknown login: %s", err)

    kefu("operator", "passwd", "ann", "--db", db, stdin=b"a brand new passphrase\n")
    (h3,), = q(db, "SELECT pass_hash FROM operators WHERE login = 'ann'")
    check(h3 != h and h3.startswith("$argon2id$"), "password changed")

    entries = json.loads(kefu("audit", "--json", "--db", db)[1])
    actions = [e["action"] for e in reversed(entries)]
    check(actions == ["operator.add", "operator.add", "token.create", "token.revoke",
                      "operator.disable", "operator.enable", "operator.passwd"],
          "audit actions: %s", actions)
    check(all(e["login"] == me and e["operator_id"] is None for e in entries),
          "audit names the Unix user: %s", entries[0])
    check(entries[-1]["changes"] == {"login": "ann", "name": "Ann Admin", "role": "admin"},
          "what changed: %s", entries[-1])
    check(not any("passphrase" in json.dumps(e) or PW in json.dumps(e) for e in entries),
          "no password in the audit")
    check(json.loads(kefu("audit", "--json", "--since", "2999-01-01", "--db", db)[1]) == [],
          "--since in the future: nothing")
    check(len(json.loads(kefu("audit", "--json", "--since", "1h", "--db", db)[1])) == 7,
          "--since 1h: all")
    check(len(json.loads(kefu("audit", "--json", "--limit", "2", "--db", db)[1])) == 2,
          "--limit 2")
    _, out, _ = kefu("audit", "--db", db)
    check("operator.passwd" in out and me in out, "audit text: %s", out)
    rc, _, _ = kefu("audit", "--since", "yesterday-ish", "--db", db, ok=False)
    check(rc == 2, "a bad --since is a usage error")

    log = kefud_log(db, tmp)
    check("no operator account yet" not in log, "no hint once an operator exists")


if __name__ == "__main__":
    kt.main(run)
