"""tests/integration/test_training.py — training from the console's API on a real kefud.

A small store (five answers) and kefud answering with BM25.  An admin starts a training
(POST /api/v1/models/train, 202); a second start while it runs is 409
training_running; the progress (GET /api/v1/models/training) rises to done while the
customer's connection keeps getting answers, and the operator's /ops channel gets
"training" pushes.  The model is a candidate: /healthz still names BM25 until the admin
activates it; then, without a restart, the same widget connection is answered by the
trained model ("trained v1" in /healthz).  A second training gives v2, whose report is
compared against live v1 on the same questions; activating v2 and rolling back (one
call each) moves /healthz to v2 and back to v1, the chat connection never dropped.
An agent may read the versions but not train (403).  `kefu models list` agrees.
"""
import json
import time

import kefutest as kt
from kefutest import check
from test_api_http import PW, PW_AGENT, Client, add_operator
from test_takeover import ops_ws, post
from bank_answers import NEW, STORE


def wait_training(c, timeout=240):
    deadline = time.monotonic() + timeout
    fractions = []
    while time.monotonic() < deadline:
        st, j, _ = c.call("GET", "/api/v1/models/training")
        check(st == 200, "training status: %s", j)
        fractions.append(j.get("fraction", 0))
        if j["state"] in ("done", "failed"):
            return j, fractions
        time.sleep(0.2)
    check(False, "training did not finish in %d s", timeout)


def wait_model(d, prefix, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if d.healthz().get("model", "").startswith(prefix):
            return
        time.sleep(0.1)
    check(False, "kefud answers with %r, not %s", d.healthz().get("model"), prefix)


def run():
    d = kt.Kefud("--demo", "false")
    kt.import_answers(d.db, STORE + [NEW])
    add_operator(d.db, "ann", "admin", PW)
    add_operator(d.db, "bob", "agent", PW_AGENT)
    d.start()
    check(d.healthz().get("model", "").startswith("bm25"), "untrained: %r", d.healthz())

    ws = d.ws()
    ws.welcome()
    op = Client(d.port)
    st, j = op.login("ann", PW)
    check(st == 200, "login: %s", j)
    agent = Client(d.port)
    st, j = agent.login("bob", PW_AGENT)
    check(st == 200, "agent login: %s", j)
    ops = ops_ws(d, op.cookie)

    # an agent reads but does not train
    st, j = post(agent, "/api/v1/models/train")
    check(st == 403 and j.get("code") == "forbidden", "agent trains: %s %s", st, j)
    st, j, _ = agent.call("GET", "/api/v1/models")
    check(st == 200 and j["versions"] == [] and j["live"] is None, "empty list: %s", j)

    st, j = post(op, "/api/v1/models/train")
    check(st == 202 and j["training"]["state"] == "running", "train: %s %s", st, j)
    st, j = post(op, "/api/v1/models/train")
    check(st == 409 and j.get("code") == "training_running", "second training: %s %s", st, j)
    r = ws.ask("w1", "somebody stole my card yesterday")     # chats go on meanwhile
    kt.check_reply(r)
    status, fractions = wait_training(op)
    check(status["state"] == "done", "training failed: %s", status)
    check(status["version"] == 1 and status["fraction"] == 1.0 and status["by"] == "ann",
          "final status: %s", status)
    check(fractions == sorted(fractions), "progress went backwards: %s", fractions)
    pushed = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        f = ops.recv_json(timeout=10)
        if f["type"] == "training":
            pushed.append(f["training"])
            if f["training"]["state"] == "done":
                break
    check(pushed and pushed[-1]["state"] == "done", "/ops training pushes: %s", pushed)

    # a candidate until activated
    st, j, _ = op.call("GET", "/api/v1/models")
    check(j["versions"][0]["state"] == "candidate" and j["live"] is None, "list: %s", j)
    check(d.healthz()["model"].startswith("bm25"), "candidate went live: %r", d.healthz())
    st, rep, _ = op.call("GET", "/api/v1/models/1/report")
    check(st == 200 and rep["folds"] == 3 and len(rep["answers"]) == 5, "report: %s", rep)
    check(0 < rep["accuracy"] <= 1 and "oof" not in rep, "report figures: %s", rep)
    st, j = post(op, "/api/v1/models/1/activate")
    check(st == 200 and j["live"] == 1, "activate: %s %s", st, j)
    wait_model(d, "trained v1")
    r = ws.ask("w2", "until what time is the branch open on saturdays")
    check(r.get("title") == "Opening hours", "trained v1 on the old connection: %r", r)

    # v2, compared with live v1, activated, rolled back
    st, j = post(op, "/api/v1/models/train")
    check(st == 202, "second training: %s", j)
    status, _ = wait_training(op)
    check(status["state"] == "done" and status["version"] == 2, "v2: %s", status)
    st, rep, _ = op.call("GET", "/api/v1/models/2/report")
    cmp = rep["against_live"]
    check(cmp["live_version"] == 1 and cmp["questions"] == 30, "comparison: %s", cmp)
    check(0 < cmp["candidate"]["accuracy"] <= 1 and 0 < cmp["live"]["accuracy"] <= 1,
          "comparison figures: %s", cmp)
    st, j = post(op, "/api/v1/models/2/activate")
    check(st == 200, "activate v2: %s", j)
    wait_model(d, "trained v2")
    st, j = post(op, "/api/v1/models/rollback")
    check(st == 200 and j["live"] == 1, "rollback: %s %s", st, j)
    wait_model(d, "trained v1")
    r = ws.ask("w3", "I misplaced my card")
    check(r.get("title") == "Lost or stolen card", "after the rollback: %r", r)
    st, j, _ = op.call("GET", "/api/v1/models")
    states = {v["version"]: v["state"] for v in j["versions"]}
    check(states == {1: "live", 2: "earlier"} and j["rollback_to"] == 2, "list: %s", j)
    out = kt.run_kefu("models", "list", "--json", "--db", d.db)[1]
    check(json.loads(out)["live"] == 1, "kefu models list: %s", out)
    ws.close()
    ops.close()
    d.stop()


if __name__ == "__main__":
    kt.main(run)
