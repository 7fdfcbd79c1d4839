"""tests/integration/test_retrain.py — the train -> deploy loop end to end: `kefu train`
on a small answer store, kefud answers a paraphrase the store never saw with the trained
model; then a new answer is imported, `kefu train` runs again, kefud gets SIGHUP, and
the connection opened before the retraining — never reconnected — gets the new answer.
The second training adds the USE half (`kefu train --use`, docs/encoder.md), so kefud
reads models/use-lite-en.kfu at the reload and answers through it ("+use").  The third
(`kefu train --distill --cv 2`) has the encoder teach only: its vectors and copies are
computed once for the two folds and the final model (nlu/teacher.c), and the model kefud
reloads answers without it.
/healthz names the model in use ("trained vN ..."), so the test knows which one answered.
"""
import os
import signal
import tempfile
import time

import kefutest as kt
from bank_answers import NEW, STORE
from kefutest import check


def reload(d, want):
    """SIGHUP, then /healthz's model once it starts with want (or after 30 s)."""
    d.signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not d.healthz().get("model", "").startswith(want):
        time.sleep(0.1)
    return d.healthz().get("model", "")


def run():
    tmp = tempfile.mkdtemp(prefix="kefu-it-")
    db = os.path.join(tmp, "kefu.db")
    kt.import_answers(db, STORE)
    out = kt.run_kefu("train", "--db", db, "--demo", "false", "--cv", "0", "--json")[1]
    kt.log("first training: %s", out.strip())

    d = kt.Kefud("--demo", "false", db=db, tmp=tmp).start()
    model = d.healthz().get("model", "")
    check(model.startswith("trained v1"), "kefud does not answer with the trained model: %r",
          model)
    ws = d.ws()
    ws.welcome()
    r = ws.ask("q1", "somebody stole my card yesterday")
    kt.check_reply(r)
    check(r.get("title") == "Lost or stolen card", "paraphrase answered %r", r)
    r = ws.ask("q2", "refnd my monye please")
    check(r.get("title") == "Refunds", "typo paraphrase answered %r", r)

    # retrain with a new answer while the connection stays open
    kt.import_answers(db, [NEW], "new.csv")
    out = kt.run_kefu("train", "--db", db, "--demo", "false", "--cv", "0", "--use",
                      "--json")[1]
    kt.log("second training: %s", out.strip())
    model = reload(d, "trained v2")
    check(model.startswith("trained v2"), "retrained model not picked up: %r", model)
    check("+use" in model, "the retrained model answers without its USE half: %r", model)
    r = ws.ask("q3", "until what time is the branch open on saturdays")
    kt.check_reply(r)
    check(r.get("title") == "Opening hours", "new answer not given on the old connection: %r", r)
    r = ws.ask("q4", "I misplaced my card")
    check(r.get("title") == "Lost or stolen card", "old answer lost after retraining: %r", r)

    # the encoder as a teacher only, cross-validated: no USE half in the reloaded model
    out = kt.run_kefu("train", "--db", db, "--demo", "false", "--cv", "2", "--distill",
                      "--json")[1]
    kt.log("third training: %s", out.strip())
    check('"cv_accuracy"' in out, "the distilled training has no cross-validation: %s", out)
    model = reload(d, "trained v3")
    check(model.startswith("trained v3"), "distilled model not picked up: %r", model)
    check("+use" not in model, "the distilled model answers with a USE half: %r", model)
    r = ws.ask("q5", "somebody stole my card yesterday")
    kt.check_reply(r)
    check(r.get("title") == "Lost or stolen card", "distilled model answered %r", r)
    r = ws.ask("q6", "until what time is the branch open on saturdays")
    check(r.get("title") == "Opening hours", "distilled model answered %r", r)
    ws.close()
    d.stop()


kt.main(run)
