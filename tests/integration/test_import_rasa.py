"""tests/integration/test_import_rasa.py — Rasa users bring their data: `kefu import` of a
Rasa NLU YAML file with the responses of its domain file (tests/data/rasa/), into a new
store that must not get the demo seeded.  Checks the answers, their readable titles and
bodies (a block `text: |` stops at `buttons:`), the report naming what was left out, Chinese intents stored as zh, an intent without an
utter_ response imported disabled (and never answered), `kefu ask` answering from the
imported store, a re-import adding nothing, and a broken file refused with its reason and
the store left as it was.
"""
import json
import os
import tempfile

import kefutest as kt
from kefutest import check

DATA = os.path.join(kt.SRCDIR, "tests", "data", "rasa")


def export(db):
    """The store's answers by Rasa intent (kept in the tags as intent:NAME)."""
    out = {}
    for a in json.loads(kt.run_kefu("export", "--db", db)[1])["answers"]:
        out[a["tags"].split("intent:")[1].split(",")[0]] = a
    return out


def ask(db, text):
    return json.loads(kt.run_kefu("ask", "--db", db, "--json", text)[1])


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-it-")
    db = os.path.join(tmp, "kefu.db")
    nlu, domain = os.path.join(DATA, "nlu.yml"), os.path.join(DATA, "domain.yml")

    _, out, _ = kt.run_kefu("import", "--db", db, nlu, "--domain", domain)
    check("4 new answers" in out and "11 new example questions" in out, "import summary: %s", out)
    check("imported disabled (1): opening_hours" in out, "disabled intents reported: %s", out)
    check("kept as variants the bot rotates (1): utter_lost_card" in out and
          "buttons whose payload is not an intent of this project, not kept (1): "
          "utter_lost_card → Freeze" in out, "variations and buttons: %s", out)
    a = export(db)
    check(sorted(a) == ["greet", "lost_card", "opening_hours", "退款"],
          "only the Rasa intents, no demo answers: %s", sorted(a))
    check(a["lost_card"]["body"] == "Freeze your card in the app,\nthen order a **new one**.",
          "block text ends before buttons: %r", a["lost_card"]["body"])
    check(a["lost_card"]["examples"][2] == "I can't find my debit card",
          "entity markup stripped: %s", a["lost_card"]["examples"])
    check(a["退款"]["lang"] == "zh" and a["greet"]["lang"] == "en", "languages")
    check(a["opening_hours"]["enabled"] is False and a["greet"]["enabled"] is True,
          "intent without a response imported disabled")
    check(all(x["tags"] == "rasa,intent:" + k for k, x in a.items()), "tagged with the intent")
    check(a["greet"]["title"] == "Hello!" and
          a["lost_card"]["title"] == "Freeze your card in the app, then order a new one" and
          a["opening_hours"]["title"] == "Opening hours",
          "readable titles: %s", [x["title"] for x in a.values()])

    r = ask(db, "I lost my card")
    check(r["title"] == a["lost_card"]["title"] and not r["fallback"], "ask lost card: %s", r)
    r = ask(db, "我要退款")
    check(r["title"] == a["退款"]["title"], "ask refund in Chinese: %s", r)
    r = ask(db, "when are you open")
    check(r["title"] != "Opening hours", "a disabled answer is never given: %s", r)

    _, out, _ = kt.run_kefu("import", "--db", db, nlu, "--domain", domain)
    check("0 new answers, 0 updated, 0 new example questions, 11 already there" in out,
          "re-import adds nothing: %s", out)

    # Without the domain file, every intent lacks a response: all imported disabled.
    db2 = os.path.join(tmp, "nodomain.db")
    _, out, _ = kt.run_kefu("import", "--db", db2, nlu)
    check("imported disabled (4)" in out, "no domain: %s", out)

    broken = os.path.join(tmp, "broken.yml")
    with open(broken, "w") as f:
        f.write('version: "3.1"\nnlu:\n- intent: x\n  examples: no pipe here\n')
    rc, out, err = kt.run_kefu("import", "--db", db, broken, ok=False)
    check(rc == 1 and "line 4" in err and "examples: |" in err,
          "broken YAML refused with its line: rc %d, %s", rc, err)
    check(export(db) == a, "the store is unchanged after a refused import")
    rc, _, err = kt.run_kefu("import", "--db", db, os.path.join(tmp, "missing.yml"), ok=False)
    check(rc == 1 and "missing.yml" in err, "missing file: rc %d, %s", rc, err)
    print("rasa import: ok")


if __name__ == "__main__":
    kt.main(run)
