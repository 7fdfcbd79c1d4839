"""tests/integration/test_review.py — kefud's review queue filled from real traffic
(daemon/review.c, docs/learning.md): over the WebSocket a customer asks what no answer
covers (fallback), votes an answer down (thumbs_down), asks again in other words right
after an answer, or gets the same answer twice in a row (rephrase), asks for a person
(handoff); a question answered and followed by another topic is not collected.  The review thread collects each with its
reason within seconds and clusters them (the two bitcoin questions together); after a
restart its cursors hold (nothing collected twice); `kefu eval-mining` on a tiny labelled
traffic file prints exactly the issue's JSON keys."""
import json
import os
import sqlite3
import time

import kefutest as kt
from kefutest import check

STORE = """question,answer_title,answer
I lost my card,Lost or stolen card,Freeze your card in the app.
my card was stolen,Lost or stolen card,
someone stole my card,Lost or stolen card,
when are you open,Opening hours,We are open 9-17.
what are your opening hours,Opening hours,
are you open on saturday,Opening hours,
how do I change my password,Change password,Go to Settings > Security.
I want a new password,Change password,
reset my password,Change password,
"""


def rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def reasons_by_text(db):
    return {t: r for t, r in rows(db, "SELECT text, reasons FROM review_items")}


def wait_for(db, pred, what, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = reasons_by_text(db)
        if pred(got):
            return got
        time.sleep(0.2)
    raise kt.TestFailure("%s: review_items %r" % (what, reasons_by_text(db)))


def say(ws, mid, text):
    ws.message(mid, text)
    return ws.expect("reply", id=mid)


def run():
    d = kt.Kefud("--demo", "false")
    csv = os.path.join(d.tmp, "store.csv")
    with open(csv, "w") as f:
        f.write(STORE)
    kt.run_kefu("import", csv, "--db", d.db)
    d.start()
    ws = d.ws()
    ws.welcome()
    r = say(ws, "q1", "can I buy bitcoin")
    check(r["fallback"], "bitcoin answered: %r", r)
    r = say(ws, "q2", "where can I buy bitcoin")
    check(r["fallback"], "bitcoin answered: %r", r)
    r = say(ws, "q3", "I lost my card")
    check(r["title"] == "Lost or stolen card", "lost card: %r", r)
    ws.send_json({"type": "feedback", "id": "f1", "message": "q3", "value": -1})
    ws.expect("ack", id="f1")
    r = say(ws, "q4", "how do I change my password")
    check(r["title"] == "Change password", "password: %r", r)
    say(ws, "q5", "how can I change my password please")
    r = say(ws, "q6", "what are your opening hours")   # q5 answered, then another topic
    check(r["title"] == "Opening hours" and not r["fallback"], "hours: %r", r)
    r = say(ws, "q7", "are you open on saturday")      # the same answer again: q6 asked again
    ws.send_json({"type": "handoff", "id": "h1", "reason": "a person please"})
    ws.expect("handoff", id="h1")
    ws.close()

    FALLBACK, LOW, DOWN, REJ, REPHRASE, HANDOFF = 1, 2, 4, 8, 16, 32
    got = wait_for(d.db, lambda g: g.get("are you open on saturday", 0) & HANDOFF,
                   "the hand-off's question")
    got = wait_for(d.db, lambda g: len(g) >= 5 and "can I buy bitcoin" in g, "every item")
    check(got["can I buy bitcoin"] & FALLBACK and got["where can I buy bitcoin"] & FALLBACK,
          "fallbacks: %r", got)
    check(got["I lost my card"] & DOWN, "thumbs down: %r", got)
    check(got["how do I change my password"] & REPHRASE, "rephrase: %r", got)
    check(got["what are your opening hours"] & REPHRASE, "same answer again: %r", got)
    check("how can I change my password please" not in got,
          "an answer followed by another topic collected: %r", got)
    # the bitcoin questions share a cluster, named by one of them with its key terms
    cl = wait_for(d.db, lambda g: True, "clusters") and rows(
        d.db, "SELECT c.id, c.label, c.terms, count(i.id) FROM review_clusters c JOIN "
              "review_items i ON i.cluster_id = c.id GROUP BY c.id ORDER BY 4 DESC")
    end = time.monotonic() + 20
    while not any("bitcoin" in c[1] and c[3] == 2 for c in cl) and time.monotonic() < end:
        time.sleep(0.3)
        cl = rows(d.db, "SELECT c.id, c.label, c.terms, count(i.id) FROM review_clusters c "
                        "JOIN review_items i ON i.cluster_id = c.id GROUP BY c.id ORDER BY 4 DESC")
    check(any("bitcoin" in c[1] and "bitcoin" in c[2] and c[3] == 2 for c in cl),
          "clusters: %r", cl)
    n_before = len(got)
    d.stop()

    # a restart reads on from its cursors: nothing is collected twice
    d.start()
    time.sleep(3)
    n_after = rows(d.db, "SELECT count(*) FROM review_items")[0][0]
    check(n_after == n_before, "items after restart: %d, before %d", n_after, n_before)
    d.stop()

    # kefu eval-mining: exactly the keys
    train = os.path.join(d.tmp, "train.csv")
    traffic = os.path.join(d.tmp, "traffic.csv")
    with open(train, "w") as f:
        f.write("text,category\n" + "".join(
            "%s,%s\n" % (q, c) for q, c in [
                ("I lost my card", "lost"), ("my card was stolen", "lost"),
                ("someone stole my card", "lost"), ("when are you open", "hours"),
                ("what are your opening hours", "hours"), ("are you open on saturday", "hours")]))
    with open(traffic, "w") as f:
        f.write("text,category\n" + "".join(
            "%s,%s\n" % (q, c) for q, c in [
                ("I lost my card yesterday", "lost"), ("are you open on sunday", "hours"),
                ("can I buy bitcoin", "crypto"), ("where can I buy bitcoin", "crypto"),
                ("is bitcoin supported", "crypto")]))
    out_jsonl = os.path.join(d.tmp, "clusters.jsonl")
    _, out, _ = kt.run_kefu("eval-mining", "--train", train, "--traffic", traffic,
                            "--clusters-out", out_jsonl, "--json", "--quiet")
    res = json.loads(out)
    check(sorted(res) == sorted(["n_traffic", "n_collected", "new_recall",
                                 "known_collected_rate", "n_clusters", "purity", "nmi", "ari",
                                 "new_found"]), "keys: %r", sorted(res))
    check(res["n_traffic"] == 5 and res["new_recall"] == 1.0, "figures: %r", res)
    lines = [json.loads(x) for x in open(out_jsonl)]
    check(sum(len(x["texts"]) for x in lines) == res["n_collected"] and
          all(sorted(x) == ["cluster", "label", "texts"] for x in lines), "clusters: %r", lines)
    kt.log("review items %r; clusters %r; eval-mining %r", got, cl, res)


kt.main(run)
