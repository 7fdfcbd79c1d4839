"""The text,category CSV files the NLU benches read and write (one copy for run.py, zh.py
and make_pairs.py)."""
import csv


def read_csv(path):
    """[(text, category)] of a CSV file with a text,category header."""
    with open(path, newline='', encoding='utf-8') as f:
        return [(r['text'], r['category']) for r in csv.DictReader(f)]


def write_csv(path, rows):
    """Writes [(text, category)] under a text,category header."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['text', 'category'])
        w.writerows(rows)
