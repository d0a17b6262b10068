#!/usr/bin/env python3
"""The jira-send benchmark suite: whole-process measurements, side by side with git.

    python3 benches/bench.py [--runs N] [--commits N] [--refs N] [--write]
    python3 benches/bench.py --prepare [--commits N] [--refs N]

Builds jira-send in release mode, generates a deterministic synthetic repository
(benches/synthetic_repo.py through `git fast-import`, then `git gc`; cached under
target/bench/), and measures, in one run:

  1. issue keys over the full history: `jira-send keys --since <root>` against
     `git log --format=%B <root>..HEAD | grep -oE <key regex> | sort -u` (ratio);
  2. a typical step: `jira-send build --dry-run` over a 50-commit range (wall time);
  3. `jira-send devinfo --dry-run` over 400 commits with diff statistics against
     `git log --numstat` over the same commits (ratio);
  4. peak memory (max RSS) of the full-history key scan, and of `git log` alone;
  5. requests sent for 10,000 builds (`jira-send send`) to a fake Jira on loopback,
     which must be ceil(10000/100) bulk requests + 1 token + 1 tenant_info;
  6. token requests for 20 sequential and 8 parallel invocations with a cold cache;
  7. a deployment's range: `jira-send deployment --dry-run` whose start, the last
     successful deployment, is found by the local marker tag 1,000 commits below HEAD
     (the lookup, placing the tag against HEAD and the walk; wall time).

Timings are medians of --runs runs (default 7), after one warm-up run; ratios compare
medians measured in the same run. Nothing here is asserted by the test suite.
With --write, the results replace the sections between the markers in BENCHMARKS.md
and README.md.
"""

import argparse
import http.server
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"
BINARY = ROOT / "target" / "release" / "jira-send"
KEY_REGEX = r"[A-Z][A-Z0-9_]+-[1-9][0-9]*"


def run(cmd, cwd=None, env=None, shell=False):
    """Runs a command, waits for it; returns (seconds, max RSS in KiB of it and its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {cmd}")
    return elapsed, usage.ru_maxrss


def measure(cmd, runs, **kwargs):
    run(cmd, **kwargs)  # warm-up: page cache, dynamic loader
    samples = [run(cmd, **kwargs) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def repository(commits, refs):
    repo = BENCH / f"repo-{commits}-{refs}"
    if (repo / ".git" / "bench-ready").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run(git + ["init", "-q", str(repo)], check=True)
    print(f"generating {commits} commits and {refs} refs (once; cached in {repo})", file=sys.stderr)
    generator = subprocess.Popen(
        [sys.executable, str(ROOT / "benches" / "synthetic_repo.py"), str(commits), str(refs)], stdout=subprocess.PIPE
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, stdin=generator.stdout, check=True)
    generator.wait()
    subprocess.run(["git", "-c", "gc.writeCommitGraph=true", "gc", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    (repo / ".git" / "bench-ready").touch()
    return repo


class FakeJira(http.server.ThreadingHTTPServer):
    """Answers the token, tenant_info and bulk endpoints like Jira, and counts requests."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.counts = {}
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def reset(self):
        with self.lock:
            self.counts = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_edge/tenant_info":
            self.server.count("tenant_info")
            return self.answer(200, {"cloudId": "6e1d2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6"})
        self.answer(404, {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/oauth/token":
            self.server.count("token")
            return self.answer(200, {"access_token": "bench-token", "expires_in": 3600})
        if self.path.endswith("/bulk"):
            self.server.count("bulk")
            builds = body.get("builds", [])
            accepted = [{"pipelineId": b["pipelineId"], "buildNumber": b["buildNumber"]} for b in builds]
            return self.answer(202, {"acceptedBuilds": accepted, "rejectedBuilds": [], "unknownIssueKeys": []})
        self.answer(404, {})


def clean_env(cache):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cache),
        "JIRA_SEND_CACHE_DIR": str(cache / "cache"),
        "JIRA_CLIENT_ID": "bench-client",
        "JIRA_CLIENT_SECRET": "bench-secret",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--refs", type=int, default=20_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--prepare", action="store_true",
                        help="only generate (or reuse) the repository and print its path (for cargo bench)")
    args = parser.parse_args()
    if args.prepare:
        print(repository(args.commits, args.refs))
        return

    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    repo = repository(args.commits, args.refs)
    git_out = lambda *a: subprocess.run(["git", *a], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    root = git_out("rev-list", "--max-parents=0", "HEAD")
    base50 = git_out("rev-parse", "HEAD~50")
    base400 = git_out("rev-parse", "HEAD~400")
    commits400 = int(git_out("rev-list", "--count", f"{base400}..HEAD"))
    work = Path(tempfile.mkdtemp(prefix="jira-send-bench-"))
    env = clean_env(work)
    jira = str(BINARY)
    results = {}

    # 1 and 4: the full-history key scan.
    ours, ours_rss = measure([jira, "keys", "--since", root, "--max-commits", "100000000"], args.runs, cwd=repo, env=env)
    pipeline = f"git log --format=%B {root}..HEAD | grep -oE '{KEY_REGEX}' | sort -u"
    theirs, pipeline_rss = measure(pipeline, args.runs, cwd=repo, env=env, shell=True)
    git_log, git_rss = measure(["git", "log", "--format=%B", f"{root}..HEAD"], args.runs, cwd=repo, env=env)
    revlist, _ = measure(["git", "rev-list", f"{root}..HEAD"], args.runs, cwd=repo, env=env)
    results["keys"] = (ours, theirs, git_log, revlist)
    results["rss"] = (ours_rss, git_rss, pipeline_rss)

    # 2: a typical build step.
    step, _ = measure(
        [jira, "build", "--dry-run", "--since", base50, "--build-number", "1", "--url", "https://ci.example.com/1",
         "--output", "json"],
        max(args.runs, 21), cwd=repo, env=env,
    )
    results["step"] = step

    # 3: devinfo with diff statistics over 400 commits.
    devinfo, _ = measure(
        [jira, "devinfo", "--dry-run", "--since", base400, "--max-commits", str(commits400), "--issue-key", "ABC-1",
         "--repository-url", "https://github.com/acme/app", "--output", "json"],
        args.runs, cwd=repo, env=env,
    )
    numstat, _ = measure(["git", "log", "--numstat", f"{base400}..HEAD"], args.runs, cwd=repo, env=env)
    results["devinfo"] = (devinfo, numstat, commits400)

    # 7: a deployment's range from the marker tag.
    results["range"] = deployment_range(jira, repo, env, args.runs)

    # 5: 10,000 builds to a fake Jira.
    fake = FakeJira()
    builds = [
        {"schemaVersion": "1.0", "pipelineId": "bench", "buildNumber": n, "updateSequenceNumber": n,
         "displayName": f"bench #{n}", "url": f"https://ci.example.com/{n}", "state": "successful",
         "lastUpdated": "2026-11-22T10:00:00.000Z", "issueKeys": ["ABC-1"]}
        for n in range(1, 10_001)
    ]
    payload = work / "builds.json"
    payload.write_text(json.dumps({"properties": {"source": "bench"}, "builds": builds}))
    site = ["--site", fake.url, "--api-url", fake.url, "--token-url", f"{fake.url}/oauth/token"]
    shutil.rmtree(work / "cache", ignore_errors=True)
    seconds, _ = run([jira, *site, "send", str(payload)], env=env)
    results["requests"] = (dict(fake.counts), seconds)

    # 6: token requests with a cold cache, sequential and parallel.
    step_args = [jira, *site, "build", "--issue-key", "ABC-1", "--build-number", "1", "--url", "https://ci.example.com/1"]
    fake.reset()
    shutil.rmtree(work / "cache", ignore_errors=True)
    for _ in range(20):
        run(step_args, env=env)
    sequential = fake.counts.get("token", 0)
    fake.reset()
    shutil.rmtree(work / "cache", ignore_errors=True)
    procs = [subprocess.Popen(step_args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(8)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("a parallel invocation failed")
    parallel = fake.counts.get("token", 0)
    results["tokens"] = (sequential, parallel)
    shutil.rmtree(work, ignore_errors=True)

    report = render(results, args)
    print(report)
    if args.write:
        replace_between(ROOT / "BENCHMARKS.md", "results", report)
        replace_between(ROOT / "README.md", "readme-results", report)


def deployment_range(jira, repo, env, runs):
    """`deployment --dry-run` whose range starts at the marker tag of its environment,
    1,000 commits below HEAD (plus the side branches merged since): the offline lookup
    (no API, no origin), placing the tag against HEAD, the walk, the payload. The tag
    is made for the measurement and removed after it, so the other cases see the
    repository as generated. Returns (median seconds, commits in the range)."""
    tag = "jira-send/deployed/production"
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    git("tag", "-f", tag, "HEAD~1000")
    try:
        commits = int(git("rev-list", "--count", f"{tag}..HEAD"))
        cmd = [jira, "deployment", "--dry-run", "--environment", "Production", "--deployment-number", "1",
               "--pipeline-id", "bench", "--url", "https://ci.example.com/1", "--max-commits", str(commits),
               "--output", "json"]
        report = json.loads(subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=True).stdout)
        found = report["range"]
        if (found["fromSource"], found["commits"], found["truncated"]) != ("tag", commits, False):
            raise SystemExit(f"the range was not read from the tag: {found}")
        seconds, _ = measure(cmd, max(runs, 21), cwd=repo, env=env)
    finally:
        git("tag", "-d", tag)
    return seconds, commits


def replace_between(path, marker, text):
    """Replaces what lies between `<!-- marker:start -->` and `<!-- marker:end -->` in path."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    old = path.read_text()
    path.write_text(old[: old.index(start) + len(start)] + "\n" + text + "\n" + old[old.index(end):])


def render(r, args):
    ours, theirs, git_log, revlist = r["keys"]
    ours_rss, git_rss, pipeline_rss = r["rss"]
    devinfo, numstat, commits400 = r["devinfo"]
    counts, seconds = r["requests"]
    sequential, parallel = r["tokens"]
    range_seconds, range_commits = r["range"]
    bulk_expected = -(-10_000 // 100)
    ms = lambda s: f"{s * 1000:.1f} ms"
    cpu = platform.processor() or platform.machine()
    cores = os.cpu_count()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, {cores} cores ({cpu}), "
        f"{args.commits:,} commits and {args.refs:,} refs, medians of {args.runs} runs.",
        "",
        "| measurement | jira-send | git | ratio | target | met |",
        "|---|---|---|---|---|---|",
        f"| issue keys over the full history | {ms(ours)} | {ms(theirs)} (`git log \\| grep \\| sort`; `git log` alone "
        f"{ms(git_log)}, {ours / git_log:.2f}×; `git rev-list` alone {ms(revlist)}) "
        f"| {ours / theirs:.2f}× | ≤ 0.9× | {'yes' if ours / theirs <= 0.9 else 'no'} |",
        f"| peak memory of that scan | {ours_rss / 1024:.0f} MiB | {git_rss / 1024:.0f} MiB (`git log` alone) "
        f"| {ours_rss / git_rss:.2f}× | ≤ 1× | {'yes' if ours_rss <= git_rss else 'no'} |",
        f"| typical step: `build --dry-run`, 50 commits | {ms(r['step'])} | | | ≤ 10 ms | {'yes' if r['step'] <= 0.010 else 'no'} |",
        f"| `devinfo --dry-run`, {commits400} commits with diff statistics | {ms(devinfo)} | {ms(numstat)} (`git log --numstat`) "
        f"| {devinfo / numstat:.2f}× | ≤ 1.5× | {'yes' if devinfo / numstat <= 1.5 else 'no'} |",
        f"| requests for 10,000 builds | {counts.get('bulk', 0)} bulk + {counts.get('token', 0)} token + "
        f"{counts.get('tenant_info', 0)} tenant_info, {seconds:.2f} s | | | {bulk_expected} + 1 + 1 "
        f"| {'yes' if (counts.get('bulk'), counts.get('token'), counts.get('tenant_info')) == (bulk_expected, 1, 1) else 'no'} |",
        f"| token requests, 20 sequential / 8 parallel invocations, cold cache | {sequential} / {parallel} | | | 1 / 1 "
        f"| {'yes' if (sequential, parallel) == (1, 1) else 'no'} |",
        f"| `deployment --dry-run`, range from the marker tag, {range_commits:,} commits | {ms(range_seconds)} | | "
        f"| ≤ 20 ms | {'yes' if range_seconds <= 0.020 else 'no'} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
