#!/usr/bin/env python3
"""Writes to stdout the compressible HTML page of run-bench.sh's static10kgz scenario: exactly SIZE bytes.

A catalogue page: a fixed head, then table rows whose names, categories, descriptions and prices are drawn from
small vocabularies by a fixed linear congruential sequence (not `random`: the same bytes on every Python, every
run), cut on a row boundary, padded with a comment to SIZE and closed. Markup repeated on every row and a small
vocabulary, as real pages have: gzip level 1 shrinks the 10,240-byte page about 4.4x (to some 2,300 bytes),
level 6 about 4.9x.

Usage: make_html.py SIZE > FILE   (SIZE at least 1,024)
"""
import sys

WORDS = ("actor mailbox supervisor shard router dispatcher stream buffer socket request response header cluster "
         "node entity message timeout backlog pipeline chunk frame gossip lease journal snapshot cache index "
         "scheduler queue window credit ticket ledger packet stash probe beacon relay bridge").split()
CATEGORIES = ["networking", "storage", "compute", "observability", "security"]
HEAD = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Catalogue</title>\n'
        '<link rel="stylesheet" href="/static/site.css">\n</head>\n<body>\n<header class="site-header"><nav>'
        '<a href="/">Home</a> <a href="/catalogue">Catalogue</a> <a href="/about">About</a></nav></header>\n'
        '<main>\n<h1>Catalogue</h1>\n<table class="items">\n'
        '<tr><th>#</th><th>Name</th><th>Category</th><th>Description</th><th>Price</th></tr>\n')
TAIL = '</table>\n</main>\n<footer class="site-footer"><p>&copy; ActorHttp benchmark</p></footer>\n</body>\n</html>\n'


def page(size):
    state = 12345

    def pick(n):  # the C standard's example rand(), its higher bits
        nonlocal state
        state = (state * 1103515245 + 12345) % 2**31
        return (state >> 8) % n

    rows, length, i = [], len(HEAD) + len(TAIL), 0
    while True:
        i += 1
        name = " ".join(WORDS[pick(len(WORDS))] for _ in range(2)).title()
        desc = " ".join(WORDS[pick(len(WORDS))] for _ in range(6 + pick(6)))
        row = (f'<tr class="item" id="item-{i}"><td>{i}</td><td><a href="/catalogue/item/{i}">{name}</a></td>'
               f'<td class="category">{CATEGORIES[pick(len(CATEGORIES))]}</td><td>{desc}.</td>'
               f'<td class="price">{pick(200) + 1}.{pick(100):02d}</td></tr>\n')
        if length + len(row) > size:
            break
        rows.append(row)
        length += len(row)
    pad = size - length
    return HEAD + "".join(rows) + (f"<!--{' ' * (pad - 8)}-->\n" if pad >= 8 else " " * pad) + TAIL


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1024:
        sys.exit(__doc__.strip().splitlines()[-1])
    text = page(int(sys.argv[1]))
    assert len(text.encode()) == int(sys.argv[1])
    sys.stdout.write(text)
