#!/usr/bin/python3
"""store/demo/check_demo.py -- checks the demo answer store's data files.

Validates what store/seed.c embeds and what the demo tests read:
  store/demo/banking77.csv            BANKING77 training questions `text,category`
  store/demo/banking77_answers.json   one English answer per BANKING77 category
  store/demo/zh.json                  the Chinese section (answers with example questions)
  tests/data/zh_paraphrases.tsv       held-out Chinese questions `question<TAB>title`
  tests/data/en_smoke.tsv             English smoke questions `question<TAB>category`

Rules: the answers cover exactly the CSV's categories (and categories.json when given
with --categories); titles are unique across both languages, short, non-empty; bodies
have no placeholders and at most one Markdown link, which is a relative /path; each
Chinese topic has >= 10 questions and no question belongs to two topics; the held-out
files are well formed, name existing titles/categories and never repeat a question the
store already holds (compared after NFKC, case folding and dropping spaces/punctuation).

Usage: check_demo.py [--root REPO] [--categories categories.json]
Prints one line per problem and a summary; exit status 0 when everything holds, 1 if not.
Standard library only, so it runs with any python3.
"""
import argparse
import csv
import json
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict

MIN_EN_SMOKE = 40
MIN_ZH_TOPICS = 18
MIN_ZH_QUESTIONS = 10
MIN_PARAPHRASES_PER_TOPIC = 3
MIN_PARAPHRASES = 60
MAX_TITLE = 40
PLACEHOLDER = re.compile(r"\[(link|url|todo|tbd|insert[^\]]*|placeholder)\]|\bTODO\b|\bXXX\b|lorem ipsum"
                         r"|\{\{|\}\}|<[a-z]+>", re.I)
LINK = re.compile(r"\]\(([^)]*)\)")
CJK = re.compile(r"[\u3400-\u9fff]")


def norm(text):
    """Comparison key: NFKC, case-folded, letters/digits/CJK only."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in t if ch.isalnum())


class Report:
    def __init__(self):
        self.problems = []

    def bad(self, where, msg):
        self.problems.append(f"{where}: {msg}")


def load_json(path, rep):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        rep.bad(path, f"cannot load: {e}")
        return None
    if not isinstance(doc, list):
        rep.bad(path, "not a JSON array")
        return None
    return doc


def check_answer(where, o, keys, rep):
    """Common checks of one answer object; returns its title or None."""
    if not isinstance(o, dict):
        rep.bad(where, "not an object")
        return None
    extra = set(o) - set(keys)
    missing = [k for k in keys if k not in o]
    if missing:
        rep.bad(where, f"missing {', '.join(missing)}")
    if extra:
        rep.bad(where, f"unknown keys {', '.join(sorted(extra))}")
    for k in ("title", "body", "tags"):
        if k in o and (not isinstance(o[k], str) or not o[k].strip()):
            rep.bad(where, f"{k} must be a non-empty string")
    title, body, tags = o.get("title"), o.get("body"), o.get("tags")
    if isinstance(title, str):
        if len(title) > MAX_TITLE:
            rep.bad(where, f"title longer than {MAX_TITLE}: {title!r}")
        if title != title.strip():
            rep.bad(where, f"title has surrounding spaces: {title!r}")
    if isinstance(body, str):
        if PLACEHOLDER.search(body):
            rep.bad(where, f"placeholder in body: {PLACEHOLDER.search(body).group(0)!r}")
        links = LINK.findall(body)
        if len(links) > 1:
            rep.bad(where, f"{len(links)} links (at most one)")
        for url in links:
            if not url.startswith("/"):
                rep.bad(where, f"link is not a relative path: {url!r}")
        if body.count("**") % 2:
            rep.bad(where, "unbalanced ** in body")
    if isinstance(tags, str):
        parts = tags.split(",")
        if any(p != p.strip() or not p for p in parts):
            rep.bad(where, f"tags must be comma-separated without spaces: {tags!r}")
    return title if isinstance(title, str) else None


def read_tsv(path, rep):
    """Rows of a `question<TAB>label` file after its `#` header comment."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError as e:
        rep.bad(path, f"cannot read: {e}")
        return []
    if not lines or not lines[0].startswith("#"):
        rep.bad(path, "line 1: no '#' header comment")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        rep.bad(path, "no newline at end of file")
    rows = []
    for n, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 2 or not cols[0].strip() or not cols[1]:
            rep.bad(path, f"line {n}: want question<TAB>label, got {line!r}")
            continue
        if cols[0] != cols[0].strip() or "\r" in line:
            rep.bad(path, f"line {n}: stray whitespace")
        rows.append((n, cols[0], cols[1]))
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")),
                    help="repository root (default: two levels above this script)")
    ap.add_argument("--categories", help="BANKING77 categories.json to compare with")
    args = ap.parse_args()
    demo = os.path.join(args.root, "store", "demo")
    tdata = os.path.join(args.root, "tests", "data")
    rep = Report()

    # banking77.csv: categories and the training questions
    csv_path = os.path.join(demo, "banking77.csv")
    cats = Counter()
    train_keys = set()
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cats[row["category"]] += 1
            train_keys.add(norm(row["text"]))
    if args.categories:
        with open(args.categories, encoding="utf-8") as f:
            listed = json.load(f)
        if set(listed) != set(cats) or len(listed) != len(set(listed)):
            rep.bad(args.categories, "categories differ from banking77.csv")

    titles = Counter()

    # English answers
    en_path = os.path.join(demo, "banking77_answers.json")
    en = load_json(en_path, rep) or []
    seen_cats = Counter()
    for i, o in enumerate(en):
        t = check_answer(f"{en_path}[{i}]", o, ("category", "title", "body", "tags"), rep)
        if t:
            titles[t] += 1
        if isinstance(o, dict):
            seen_cats[o.get("category")] += 1
            if isinstance(o.get("body"), str) and CJK.search(o["body"]):
                rep.bad(f"{en_path}[{i}]", "CJK text in an English answer")
    for c in set(cats) - set(seen_cats):
        rep.bad(en_path, f"no answer for category {c!r}")
    for c in set(seen_cats) - set(cats):
        rep.bad(en_path, f"category {c!r} is not in banking77.csv")
    for c, k in seen_cats.items():
        if k > 1:
            rep.bad(en_path, f"category {c!r} answered {k} times")

    # Chinese section
    zh_path = os.path.join(demo, "zh.json")
    zh = load_json(zh_path, rep) or []
    if len(zh) < MIN_ZH_TOPICS:
        rep.bad(zh_path, f"{len(zh)} topics, want >= {MIN_ZH_TOPICS}")
    zh_titles = set()
    zh_q_owner = {}
    for i, o in enumerate(zh):
        where = f"{zh_path}[{i}]"
        t = check_answer(where, o, ("title", "body", "tags", "questions"), rep)
        if t:
            titles[t] += 1
            zh_titles.add(t)
        if not isinstance(o, dict):
            continue
        if isinstance(o.get("body"), str) and not CJK.search(o["body"]):
            rep.bad(where, "body has no Chinese text")
        qs = o.get("questions")
        if not isinstance(qs, list) or not all(isinstance(q, str) and q.strip() for q in qs):
            rep.bad(where, "questions must be a list of non-empty strings")
            continue
        if len(qs) < MIN_ZH_QUESTIONS:
            rep.bad(where, f"{len(qs)} questions, want >= {MIN_ZH_QUESTIONS}")
        for q in qs:
            k = norm(q)
            if k in zh_q_owner:
                rep.bad(where, f"question {q!r} repeats one of {zh_q_owner[k]!r}")
            zh_q_owner[k] = t

    for t, k in titles.items():
        if k > 1:
            rep.bad("titles", f"{t!r} used {k} times")
    norm_titles = Counter(norm(t) for t in titles)
    for t in titles:
        if norm_titles[norm(t)] > 1 and titles[t] == 1:
            rep.bad("titles", f"{t!r} differs from another title only in case/punctuation")

    # held-out Chinese paraphrases
    para_path = os.path.join(tdata, "zh_paraphrases.tsv")
    para = read_tsv(para_path, rep)
    per_topic = Counter()
    para_keys = set()
    for n, q, t in para:
        if t not in zh_titles:
            rep.bad(para_path, f"line {n}: {t!r} is not a zh.json title")
        if norm(q) in zh_q_owner:
            rep.bad(para_path, f"line {n}: {q!r} is a zh.json question (of {zh_q_owner[norm(q)]!r})")
        if norm(q) in para_keys:
            rep.bad(para_path, f"line {n}: {q!r} repeated")
        para_keys.add(norm(q))
        per_topic[t] += 1
    if len(para) < MIN_PARAPHRASES:
        rep.bad(para_path, f"{len(para)} questions, want >= {MIN_PARAPHRASES}")
    for t in zh_titles:
        if per_topic[t] < MIN_PARAPHRASES_PER_TOPIC:
            rep.bad(para_path, f"{t!r}: {per_topic[t]} questions, want >= {MIN_PARAPHRASES_PER_TOPIC}")

    # English smoke questions
    smoke_path = os.path.join(tdata, "en_smoke.tsv")
    smoke = read_tsv(smoke_path, rep)
    smoke_keys = set()
    for n, q, c in smoke:
        if c not in cats:
            rep.bad(smoke_path, f"line {n}: {c!r} is not a BANKING77 category")
        if norm(q) in train_keys:
            rep.bad(smoke_path, f"line {n}: {q!r} is a BANKING77 training question")
        if norm(q) in smoke_keys:
            rep.bad(smoke_path, f"line {n}: {q!r} repeated")
        smoke_keys.add(norm(q))
    if len(smoke) < MIN_EN_SMOKE:
        rep.bad(smoke_path, f"{len(smoke)} questions, want >= {MIN_EN_SMOKE}")

    for p in rep.problems:
        print(p)
    n_zh_q = sum(len(o.get("questions", [])) for o in zh if isinstance(o, dict))
    print(f"check_demo: {len(en)} English answers over {len(cats)} categories "
          f"({sum(cats.values())} questions), {len(zh)} Chinese answers ({n_zh_q} questions), "
          f"{len(para)} zh paraphrases over {len(per_topic)} topics, "
          f"{len(set(c for _, _, c in smoke))} categories in {len(smoke)} English smoke "
          f"questions: {len(rep.problems)} problem(s)")
    return 1 if rep.problems else 0


if __name__ == "__main__":
    sys.exit(main())
