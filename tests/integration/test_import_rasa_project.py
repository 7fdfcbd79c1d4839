"""tests/integration/test_import_rasa_project.py — a whole Rasa project shaped like Rasa's
demo bot Sara (tests/data/rasa/sara/: a domain, NLU files in 2.x and 3.x forms, rules and
stories) imported as a folder in one command: every scalar style whole (the multi-line
double-quoted response), retrieval intents, responses found through rules and stories
(`or:` included), readable titles, a response image that is a file added as the
answer's picture, the report naming what kefu left out, --dry-run
writing nothing, --titles, the other variations kept as variants, a button as a quick
reply whose words select its target, synonyms kept, kefud rotating the variants and
offering the button to a customer, `kefu ask --json` and `kefu see --json` rounding
confidences to 4 decimals, and the golden round trip import → export --format rasa →
import → export giving the same file and the same answers (variants, quick replies and
synonyms included).
"""
import json
import os
import re
import tempfile

import kefutest as kt
from kefutest import check

SARA = os.path.join(kt.SRCDIR, "tests", "data", "rasa", "sara")


def answers(db):
    out = {}
    for a in json.loads(kt.run_kefu("export", "--db", db)[1])["answers"]:
        for tag in a["tags"].split(","):
            if tag.startswith("intent:"):
                out[tag[7:]] = a
    return out


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-it-")
    db = os.path.join(tmp, "sara.db")

    _, out, _ = kt.run_kefu("import", "--db", db, "--dry-run", SARA)
    check("would import" in out and "dry run: nothing was written" in out, "dry run: %s", out)
    check("10 new answers" in out, "the dry run counts what it would add: %s", out)
    check(not os.path.exists(db), "the dry run created no store")

    _, out, _ = kt.run_kefu("import", "--db", db, SARA)
    check("read 5 files: 11 intents" in out, "a whole folder in one command: %s", out)
    for line in ("imported disabled (1): contact_sales",
                 "custom action (kefu runs no actions) (1): contact_sales → action_contact_sales",
                 "{slot} placeholders were removed (kefu has no slots) (1): utter_greet",
                 "condition:/channel: variations, the plain one kept (2): utter_goodbye, "
                 "utter_card_lost",
                 "images at URLs, not fetched (kefu fetches nothing at import) (1): "
                 "utter_faq/cost",
                 "response images that are files: 1 added as pictures of their answer, "
                 "0 already there, 1 unreadable (first: ",
                 "buttons, kept as quick replies (1): utter_card_lost",
                 "variations, kept as variants the bot rotates (1): utter_greet",
                 "synonyms: 3 kept"):
        check(line in out, "report line %r in: %s", line, out)
    a = answers(db)
    check(a["opening_hours"]["body"] ==
          "We are open from 9 to 5 on weekdays, and from 10 to 2 on Saturdays.",
          "multi-line double-quoted response whole: %r", a["opening_hours"]["body"])
    check(a["bot_challenge"]["body"].startswith("I'm a bot"), "single-quoted '' escape")
    check(a["goodbye"]["body"] == "Goodbye! Come back any time." and
          a["goodbye"] is a["thanks"], "folded >- text, the plain variation, `or:` rule "
          "shares one answer: %r", a["goodbye"]["body"])
    check(a["faq/channels"]["body"].endswith("- phone: +1 555 0100") and
          a["faq/channels"]["title"] == "You can reach us by chat, email or phone",
          "retrieval intent → utter_faq/channels: %r", a["faq/channels"])
    check(a["greet"]["body"] == "Hi! I'm Sara, how can I help?", "slot removed: %r",
          a["greet"]["body"])
    check(a["card_lost"]["body"].startswith("Freeze your card"), "unconditional variation")
    ex = a["card_lost"]["examples"]
    check("I lost my debit card" in ex and "somebody took my visa card" in ex and
          "my credit card was stolen" in ex, "3.x `- text:` examples with metadata: %s", ex)
    check("I lost my amex card" in ex and "my mastercard card was stolen" in ex,
          "regex alternatives as examples: %s", ex)
    check(any("prepaid" in e for e in ex), "lookup table values as examples: %s", ex)
    check(a["affirm"]["body"].startswith("Is there anything else"),
          "story: first response after the intent")
    check(a["contact_sales"]["enabled"] is False, "custom action only: disabled")
    titles = [x["title"] for x in a.values()]
    check(not any("_" in t or "/" in t for t in titles), "no raw intent name as title: %s",
          titles)
    _, out, _ = kt.run_kefu("pictures", "list", "--json", "--db", db)
    pics = json.loads(out)
    check(len(pics) == 1 and "sara.jpg" in json.dumps(pics), "the local image became a "
          "picture of its answer: %s", pics)
    r = json.loads(kt.run_kefu("ask", "--db", db, "--json", "what are your opening hours")[1])
    check(r["title"] == a["opening_hours"]["title"], "ask: %s", r)

    # what the bot says besides one text: variations, buttons, synonyms (issue 17)
    check(a["greet"].get("variants") == ["Hello! What can I do for you today?"],
          "the other plain variation kept as a variant: %s", a["greet"])
    check(a["card_lost"].get("quick_replies") ==
          [{"title": "Freeze it", "answer": a["affirm"]["title"]}],
          "the button /affirm → a quick reply selecting affirm's answer: %s", a["card_lost"])
    doc = json.loads(kt.run_kefu("export", "--db", db)[1])
    check(doc.get("synonyms", {}).get("cc") == "credit", "synonyms kept: %s",
          doc.get("synonyms"))
    raw = kt.run_kefu("ask", "--db", db, "--json", "I lost my card")[1]
    r = json.loads(raw)
    check(r["title"] == a["card_lost"]["title"] and len(r["quick_replies"]) == 1 and
          r["quick_replies"][0]["title"] == "Freeze it" and
          isinstance(r["quick_replies"][0]["answer_id"], int),
          "the answer offers its button: %s", r)
    check(all(len(n.split(".")[1]) <= 4 for n in re.findall(r"\d+\.\d+", raw)),
          "--json confidences rounded to 4 decimals: %s", raw)
    raw = kt.run_kefu("see", "--db", db, "--json",
                      os.path.join(kt.SRCDIR, "vision", "testdata", "cnn_dress.png"))[1]
    reals = re.findall(r"\d+\.\d+(?:e-?\d+)?", raw)
    check(reals and all("e" not in n and len(n.split(".")[1]) <= 4 for n in reals),
          "kefu see --json rounds to 4 decimals: %s", raw)
    r = json.loads(kt.run_kefu("ask", "--db", db, "--json", "Freeze it")[1])
    check(r["title"] == a["affirm"]["title"] and r["confidence"] == 1,
          "the button's words select its answer: %s", r)
    # the store rotates the variants; every process starts at the first
    r = json.loads(kt.run_kefu("ask", "--db", db, "--json", "hello")[1])
    check(r["text"] == a["greet"]["body"], "greet: %s", r)

    # kefud answers customers with them: the variants in turn, the button as a quick
    # reply whose words select its answer (the protocol unchanged)
    d = kt.Kefud(db=db).start()
    ws = d.ws()
    ws.welcome()
    texts = [ws.ask("g%d" % i, "hello")["text"] for i in range(3)]
    check(texts == [a["greet"]["body"], "Hello! What can I do for you today?",
                    a["greet"]["body"]], "kefud rotates the variants: %s", texts)
    r = ws.ask("c1", "I lost my card")
    check([q["title"] for q in r["quick_replies"]] == ["Freeze it"] and not r["fallback"],
          "kefud offers the button: %s", r)
    r = ws.ask("c2", "Freeze it")
    check(r["title"] == a["affirm"]["title"], "the button's words select: %s", r)
    ws.close()
    d.stop()

    # --titles: an operator's wording wins
    tfile = os.path.join(tmp, "titles.txt")
    with open(tfile, "w") as f:
        f.write("# intent: title\nopening_hours: Opening hours\n")
    db2 = os.path.join(tmp, "titles.db")
    kt.run_kefu("import", "--db", db2, "--titles", tfile, SARA)
    check(answers(db2)["opening_hours"]["title"] == "Opening hours", "--titles used")

    # golden round trip
    y1 = os.path.join(tmp, "e1.yml")
    y2 = os.path.join(tmp, "e2.yml")
    kt.run_kefu("export", "--db", db, "--format", "rasa", y1)
    db3 = os.path.join(tmp, "again.db")
    kt.run_kefu("import", "--db", db3, y1)
    kt.run_kefu("export", "--db", db3, "--format", "rasa", y2)
    with open(y1) as f1, open(y2) as f2:
        t1, t2 = f1.read(), f2.read()
    check(t1 == t2, "import → export → import → export is stable")
    def essence(x):
        return (x["title"], x["body"], x["enabled"], json.dumps(x.get("variants")),
                json.dumps(x.get("quick_replies")))
    b1 = {essence(x) for x in answers(db).values()}
    b3 = {essence(x) for x in answers(db3).values()}
    s1 = json.loads(kt.run_kefu("export", "--db", db)[1]).get("synonyms")
    s3 = json.loads(kt.run_kefu("export", "--db", db3)[1]).get("synonyms")
    check(s1 == s3, "the same synonyms after the round trip: %s %s", s1, s3)
    check(b1 == b3, "the same answers after the round trip")
    _, out, _ = kt.run_kefu("import", "--db", db, y1)
    check("0 new answers" in out, "re-importing the export adds no answer: %s", out)
    print("rasa project import: ok")


if __name__ == "__main__":
    kt.main(run)
