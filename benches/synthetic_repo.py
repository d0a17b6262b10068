#!/usr/bin/env python3
"""Writes a deterministic synthetic git history as a `git fast-import` stream.

100,000 commits by default, in a realistic mix: subjects and multi-line bodies, about
5 % carrying Jira issue keys (some in the body only), look-alikes that are not keys
(CVE ids, `utf-8`, versions), a merge every 100 commits, 1-4 files changed per commit,
and 20,000 refs (tags and branches). The same arguments always give the same
repository, so every run measures the same thing.

Usage: synthetic_repo.py COMMITS REFS | git fast-import --quiet
"""

import random
import sys

COMMITS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
REFS = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
rng = random.Random(20261122)
out = sys.stdout.buffer

VERBS = ["Fix", "Add", "Remove", "Refactor", "Update", "Improve", "Document", "Test", "Rename", "Simplify"]
THINGS = ["login form", "cache layer", "retry logic", "billing export", "search index", "config loader",
          "API client", "user settings", "report builder", "session store", "rate limiter", "CI pipeline"]
DETAILS = [
    "The previous version did not handle empty input.",
    "This keeps the behaviour for existing callers.",
    "Measured with the staging data set; no regression.",
    "Reviewed-by: Alex Example <alex@example.com>",
    "Signed-off-by: Sam Example <sam@example.com>",
    "Bump serde to 1.0.219 and utf-8 handling in the parser.",
    "See the design note in docs/architecture.md for details.",
    "Follow-up to the discussion in the weekly sync.",
    "Mitigates CVE-2024-3094 by pinning the xz version.",
    "Works around a flaky test on the 2-core runners.",
]
PROJECTS = ["ABC", "DEF", "OPS", "WEB", "K8S", "DATA", "MOBILE_APP"]
FILES = [f"src/module{d}/file{f}.rs" for d in range(40) for f in range(25)]


def key():
    return f"{rng.choice(PROJECTS)}-{rng.randint(1, 9999)}"


def message(n):
    subject = f"{rng.choice(VERBS)} {rng.choice(THINGS)}"
    body = [rng.choice(DETAILS) for _ in range(rng.randint(2, 6))]
    roll = rng.random()
    if roll < 0.03:
        subject = f"{key()} {subject}"
    elif roll < 0.05:
        body.insert(rng.randint(0, len(body)), f"Refs {key()}")
    return f"{subject}\n\n" + "\n".join(body) + "\n"


def data(text):
    raw = text.encode()
    out.write(b"data %d\n" % len(raw))
    out.write(raw)
    out.write(b"\n")


def commit(mark, parents, msg, files, when, ref="refs/heads/main"):
    out.write(b"commit %s\n" % ref.encode())
    out.write(b"mark :%d\n" % mark)
    out.write(b"author Dev %d <dev%d@example.com> %d +0000\n" % (mark % 50, mark % 50, when))
    out.write(b"committer Dev %d <dev%d@example.com> %d +0000\n" % (mark % 50, mark % 50, when))
    data(msg)
    if parents:
        out.write(b"from :%d\n" % parents[0])
        for parent in parents[1:]:
            out.write(b"merge :%d\n" % parent)
    for path in files:
        lines = "".join(f"line {rng.randint(0, 10**6)}\n" for _ in range(rng.randint(5, 30)))
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(lines)
    out.write(b"\n")


def main():
    when = 1_500_000_000
    mark = 0
    main_marks = []
    side = 0
    while mark < COMMITS:
        when += 600
        mark += 1
        if main_marks and len(main_marks) % 100 == 99 and mark + 1 <= COMMITS:
            # A side branch of one commit, merged back.
            side_mark = mark
            commit(side_mark, [main_marks[-1]], message(mark), rng.sample(FILES, 2), when, "refs/heads/side")
            side += 1
            mark += 1
            when += 60
            commit(mark, [main_marks[-1], side_mark], f"Merge branch 'feature-{side}'\n", [], when)
        else:
            files = rng.sample(FILES, rng.randint(1, 4))
            commit(mark, [main_marks[-1]] if main_marks else [], message(mark), files, when)
        main_marks.append(mark)
    for i in range(REFS):
        target = main_marks[rng.randrange(len(main_marks))]
        ref = f"refs/tags/v{i // 100}.{i % 100}.0" if i % 2 == 0 else f"refs/heads/feature/topic-{i}"
        out.write(b"reset %s\nfrom :%d\n\n" % (ref.encode(), target))
    out.write(b"reset refs/heads/side\n\n")


main()
