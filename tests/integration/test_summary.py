"""tests/integration/test_summary.py — the summary card of a real conversation: a customer
chats with a real kefud (English questions, a thumbs down, the same question asked again,
a hand-off), then `kefu summarize --json` on kefud's SQLite file finds the session by its
token and reports the answers with their reactions, the order number, the request for a
person, the language and the mood; the text card names the answers.  `kefu eval-summary
--json` on the committed hand-written sets gives n, the ROUGE keys for kefu, lead and
lexrank, and writes one summary a line; bad input is refused with exit 2 and writes
nothing; an unknown session is exit 2."""
import json
import os

import kefutest as kt
from kefutest import check

KEYS = ("rouge1", "rouge2", "rougeL", "ms_per_dialog_median")


def check_figures(obj, name):
    for k in KEYS:
        check(isinstance(obj.get(k), (int, float)), "%s: %s missing: %r", name, k, obj)
    for k in KEYS[:3]:
        check(0 <= obj[k] <= 1, "%s: %s out of range: %r", name, k, obj)


def run():
    d = kt.Kefud().start()
    ws = d.ws()
    token = ws.welcome()["session"]
    r1 = ws.ask("c-1", "My card payment was declined, my order number is 55502211")
    ws.send_json({"type": "feedback", "id": "f-1", "message": "c-1", "value": -1})
    ws.expect("ack", id="f-1")
    ws.ask("c-2", "Why was my card payment declined?")
    ws.send_json({"type": "handoff", "id": "h-1", "reason": "I want a human"})
    ws.expect("handoff", id="h-1")
    ws.close()
    d.stop()

    _, out, _ = kt.run_kefu("summarize", "--db", d.db, "--session", token, "--json")
    card = json.loads(out)
    check(card["session"] == token and card["lang"] == "en", "card: %r", card)
    check(card["turns"] >= 5, "turns: %r", card)
    check("declined" in card["problem"], "problem: %r", card["problem"])
    check(card["summary"].startswith("Customer:"), "summary: %r", card["summary"])
    check(any(e["kind"] == "order" and e["text"] == "55502211" and e["source"] == "text"
              for e in card["entities"]), "entities: %r", card["entities"])
    check(len(card["answers"]) == 2, "answers: %r", card["answers"])
    first = card["answers"][0]
    check(first["title"] == r1.get("title") or (first["fallback"] and r1.get("fallback")),
          "first answer %r vs reply %r", first, r1)
    check("thumbs_down" in first["reactions"] and "rephrased" in first["reactions"],
          "reactions: %r", first)
    check("asked_for_person" in card["answers"][1]["reactions"], "answers: %r",
          card["answers"])
    check(card["asked_for_person"] is True and card["mood"] == "negative", "card: %r", card)
    check(card["state"] == "waiting", "state: %r", card)

    _, text, _ = kt.run_kefu("summarize", "--db", d.db, "--session", token)
    check(text.startswith("Problem: ") and "Mood: unhappy" in text and "order 55502211" in text,
          "text card: %r", text)
    if r1.get("title"):
        check("\u201c%s\u201d" % r1["title"] in text, "card names the answer: %r", text)

    rc, _, err = kt.run_kefu("summarize", "--db", d.db, "--session", "0" * 32, ok=False)
    check(rc == 2 and "no session" in err, "unknown session: %d %r", rc, err)

    for name, n in (("summaries_en_small.jsonl", 5), ("summaries_zh_dev.jsonl", 15)):
        out_path = os.path.join(d.tmp, name + ".out")
        _, out, _ = kt.run_kefu("eval-summary", "--dialogs", os.path.join(kt.DATA, name),
                                "--summaries-out", out_path, "--json")
        res = json.loads(out)
        check(res["n"] == n and res["budget"] > 0, "eval %s: %r", name, res)
        check_figures(res, "kefu")
        check_figures(res["lead"], "lead")
        check_figures(res["lexrank"], "lexrank")
        with open(out_path) as f:
            lines = [json.loads(x) for x in f]
        check(len(lines) == n and all(x["summary"] for x in lines), "summaries: %r", lines)
        kt.log("%s: kefu R1 %.3f RL %.3f, lead R1 %.3f RL %.3f, lexrank R1 %.3f RL %.3f",
               name, res["rouge1"], res["rougeL"], res["lead"]["rouge1"],
               res["lead"]["rougeL"], res["lexrank"]["rouge1"], res["lexrank"]["rougeL"])

    bad = os.path.join(d.tmp, "bad.jsonl")
    with open(os.path.join(kt.DATA, "summaries_en_small.jsonl")) as f:
        good = f.readline()
    for line, what in (('{"id": "x", "turns": [], "references": ["a"]}', "turns"),
                       ('{"id": "x", "lang": "fr", "turns": [{"from": "customer", "text": "hi"}],'
                        ' "references": ["a"]}', "lang"),
                       ('{"id": "x", "turns": [{"from": "robot", "text": "hi"}],'
                        ' "references": ["a"]}', "from"),
                       ('{"id": "x", "turns": [{"from": "customer", "text": "hi"}]}',
                        "references"),
                       ('not json', "bad JSON")):
        with open(bad, "w") as f:
            f.write(good + line + "\n")
        out_path = os.path.join(d.tmp, "never.jsonl")
        rc, _, err = kt.run_kefu("eval-summary", "--dialogs", bad, "--summaries-out",
                                 out_path, "--json", ok=False)
        check(rc == 2 and ":2:" in err and what in err, "bad line (%s): %d %r", what, rc, err)
        check(not os.path.exists(out_path), "a refused file wrote summaries")


if __name__ == "__main__":
    kt.main(run)
