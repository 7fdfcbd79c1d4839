"""tests/integration/test_cli_answers.py — the command line as a scripting user meets it:
`kefu COMMAND --help` prints that command's usage (not kefud's option list), commands
that read a store refuse a --db that does not exist and create no file, errors start with
`kefu COMMAND:`, `kefu answer add|edit|enable|disable|delete` and `kefu example
add|delete` change one thing each, `kefu import` writes answer versions by cli:USER
(and an audit row), `kefu stats` counts enabled and disabled answers, and
`kefu train` writes plain progress lines when piped (none with --quiet).
"""
import json
import os
import sqlite3
import tempfile

import kefutest as kt
from kefutest import check


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-it-")
    db = os.path.join(tmp, "kefu.db")
    missing = os.path.join(tmp, "typo.db")

    for cmd in ("import", "export", "stats", "answer", "ask", "texts", "train"):
        _, out, _ = kt.run_kefu(cmd, "--help")
        check(out.startswith("usage: kefu " + cmd) and "--ws-port" not in out
              and "--db FILE" in out, "%s --help: %s", cmd, out)
    _, out, _ = kt.run_kefu("import", "--help")
    check("--dry-run" in out and "created if missing" in out, "import's own options: %s", out)

    for cmd in (("stats",), ("export",), ("ask", "hello"), ("answer", "enable", "x"),
                ("example", "add", "x", "y"), ("texts", "list")):
        rc, _, err = kt.run_kefu(*cmd, "--db", missing, ok=False)
        check(rc != 0 and err.startswith("kefu %s: no store at" % cmd[0]),
              "%s refuses a missing store: rc %d, %s", cmd[0], rc, err)
        check(not os.path.exists(missing), "%s created no file", cmd[0])

    kt.run_kefu("init", "--db", db, "--demo", "false")
    _, out, _ = kt.run_kefu("answer", "add", "Opening hours", "--body", "9 to 5.", "--db", db)
    check("added answer #1" in out, "answer add: %s", out)
    rc, _, err = kt.run_kefu("answer", "add", "Opening hours", "--body", "x", "--db", db,
                             ok=False)
    check(rc == 2 and err.startswith("kefu answer: an answer titled"), "duplicate: %s", err)
    kt.run_kefu("answer", "add", "Fees", "--body", "None.", "--disabled", "--db", db)
    kt.run_kefu("example", "add", "Opening hours", "when are you open", "what time",
                "--db", db)
    kt.run_kefu("example", "delete", "#1", "what time", "--db", db)
    kt.run_kefu("answer", "edit", "#1", "--body", "9 to 5 on weekdays.", "--db", db)
    s = json.loads(kt.run_kefu("stats", "--json", "--db", db)[1])
    check(s["answers"] == 2 and s["answers_enabled"] == 1 and s["answers_disabled"] == 1
          and s["examples"] == 1, "stats: %s", s)
    _, out, _ = kt.run_kefu("stats", "--db", db)
    check("2 (1 enabled, 1 disabled)" in out, "stats text: %s", out)
    a = json.loads(kt.run_kefu("export", "--db", db)[1])["answers"]
    check(a[0]["body"] == "9 to 5 on weekdays." and a[0]["examples"] == ["when are you open"]
          and a[1]["enabled"] is False, "edits landed: %s", a)
    kt.run_kefu("answer", "enable", "Fees", "--db", db)
    kt.run_kefu("answer", "delete", "Opening hours", "--db", db)
    s = json.loads(kt.run_kefu("stats", "--json", "--db", db)[1])
    check(s["answers"] == 1 and s["answers_enabled"] == 1 and s["examples"] == 0,
          "enable and delete: %s", s)
    kt.run_kefu("example", "add", "Fees", "any fees", "what does it cost", "is it free",
                "how much", "--db", db)
    kt.run_kefu("answer", "add", "Hours", "--body", "9 to 5.", "--db", db)
    kt.run_kefu("example", "add", "Hours", "when are you open", "opening hours", "what time",
                "closing time", "--db", db)
    # kefu import: every answer it adds or changes is a version by cli:USER (as the
    # console's import), the answer's state before kept as "initial"; a dry run of a CSV
    # writes nothing; the import is in the audit log
    csv = os.path.join(tmp, "more.csv")
    kt.write_answers_csv(csv, [("Hours", "9 to 5.", ["are you open on sunday"]),
                               ("Branches", "Find us on the map.", ["where is the branch"])])
    _, out, _ = kt.run_kefu("import", "--db", db, "--dry-run", csv)
    check(out.startswith("would import") and "1 new answers" in out, "dry run: %s", out)
    check(json.loads(kt.run_kefu("answer", "history", "Hours", "--json", "--db", db)[1])
          [0]["action"] == "example.add", "a dry run wrote no version")
    _, out, _ = kt.run_kefu("import", "--db", db, csv)
    check(out.startswith("imported") and "1 new answers, 0 updated, 2 new example" in out, "import: %s", out)
    for title, actions in (("Hours", ["import"] + ["example.add"] * 4 + ["create"]),
                           ("Branches", ["import"])):
        h = json.loads(kt.run_kefu("answer", "history", title, "--json", "--db", db)[1])
        check([v["action"] for v in h] == actions and h[0]["login"].startswith("cli:")
              and h[0]["created_ms"] > 0, "%s history after kefu import: %s", title, h)
    _, out, _ = kt.run_kefu("answer", "history", "Hours", "--db", db)
    check("import" in out.splitlines()[0] and "examples +1 -0" in out.splitlines()[0],
          "what the import changed: %s", out)
    con = sqlite3.connect(db)
    audit = con.execute("SELECT login, action FROM audit_log WHERE action = 'answers.import'"
                        ).fetchall()
    con.close()
    check(len(audit) == 1 and audit[0][0].startswith("cli:"), "audit: %s", audit)

    _, out, err = kt.run_kefu("train", "--db", db, "--cv", "2")
    check("kefu train: cross-validation 1/3" in err and
          "kefu train: done 1/1 (100 %)" in err, "piped progress lines: %s", err)
    _, out, err = kt.run_kefu("train", "--db", db, "--cv", "2", "--quiet")
    check("cross-validation" not in err and "trained model" in out, "--quiet: %s", err)
    rc, _, err = kt.run_kefu("answer", "disable", "Nope", "--db", db, ok=False)
    check(rc == 2 and err.startswith("kefu answer: no answer titled"), "unknown: %s", err)
    print("cli answers: ok")


if __name__ == "__main__":
    kt.main(run)
