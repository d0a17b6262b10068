//! In-process benchmarks of the hot paths, on a synthetic history: the key scanner
//! (against the regex engine it replaced), the commit walk with key extraction, diff
//! statistics, and schema validation of a full request.
//!
//! The repository is the whole-process suite's (`benches/bench.py --prepare`: the
//! generator through `git fast-import`, packed, cached under `target/bench/`; so it
//! needs python3 and git), at a smaller size so a run takes about a minute. Whole-process figures and the
//! comparisons with `git log` are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use git2::Oid;
use jira_send::api::Api;
use jira_send::git::{Range, Repo, Start, message};
use jira_send::keys::{Grammar, KeySet, Source};
use serde_json::{Value, json};

const COMMITS: usize = 20_000;
const REFS: usize = 1_000;

/// The synthetic repository, generated on first use by the whole-process suite's own
/// preparation step, so both benchmark the same kind of repository.
fn repository() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let prepared = Command::new("python3")
        .arg(root.join("benches/bench.py"))
        .args([
            "--prepare",
            "--commits",
            &COMMITS.to_string(),
            "--refs",
            &REFS.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("run benches/bench.py --prepare (needs python3 and git)");
    assert!(prepared.status.success(), "benches/bench.py --prepare failed");
    PathBuf::from(String::from_utf8(prepared.stdout).expect("a path").trim())
}

/// Every commit message of the repository, newest first.
fn messages(repo: &Repo, all: &Range) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    repo.walk(all, usize::MAX, |_, raw| {
        messages.push(message(raw).to_vec());
        Ok(())
    })
    .expect("walk the synthetic history");
    messages
}

fn benches(c: &mut Criterion) {
    let path = repository();
    let repo = Repo::discover(Some(&path))
        .expect("open")
        .and_then(|found| found.readable())
        .expect("a repository");
    let head = repo.head().expect("HEAD").expect("a commit").id;
    let root = first_commit(&path).expect("the root commit");
    let all = repo.range(&Start::Since(root), head).expect("the full range");
    let messages = messages(&repo, &all);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let grammar = Grammar::default();

    let mut scan = c.benchmark_group("key_scan");
    scan.throughput(Throughput::Bytes(bytes as u64));
    scan.bench_function("scanner", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for text in &messages {
                grammar.scan(text, |_| found += 1);
            }
            black_box(found)
        });
    });
    // What the scanner replaced: the nearest the regex crate comes to the grammar
    // (no look-around, so the boundaries are matched as characters).
    let regex = regex::bytes::Regex::new(
        r"(?:^|[^A-Za-z0-9])([A-Z][A-Z0-9_]{1,255}-[1-9][0-9]{0,17})(?:[^A-Za-z0-9]|$)",
    )
    .expect("the key regex");
    scan.bench_function("regex", |b| {
        b.iter(|| {
            let found: usize = messages
                .iter()
                .map(|text| regex.captures_iter(text).count())
                .sum();
            black_box(found)
        });
    });
    scan.finish();

    let mut walk = c.benchmark_group("history");
    walk.sample_size(20);
    walk.throughput(Throughput::Elements(messages.len() as u64));
    walk.bench_function("walk_and_scan_all", |b| {
        b.iter(|| {
            let mut keys = KeySet::default();
            repo.walk(&all, usize::MAX, |id: Oid, raw| {
                keys.scan(&grammar, message(raw), || Source::Commit(id));
                Ok(())
            })
            .expect("walk");
            black_box(keys.len())
        });
    });
    let last400 = repo
        .range(&Start::Since("HEAD~400".into()), head)
        .expect("the last 400 commits");
    let mut ids = Vec::new();
    repo.walk(&last400, usize::MAX, |id, _| {
        ids.push(id);
        Ok(())
    })
    .expect("walk");
    walk.throughput(Throughput::Elements(ids.len() as u64));
    walk.bench_function("diff_statistics_400", |b| {
        b.iter(|| {
            let files: usize = ids
                .iter()
                .map(|&id| {
                    repo.changes(&repo.commit(id).expect("commit"), 10)
                        .expect("diff")
                        .files
                        .len()
                })
                .sum();
            black_box(files)
        });
    });
    walk.finish();

    let body = hundred_builds();
    let mut schema = c.benchmark_group("schema");
    schema.bench_function("validate_100_builds", |b| {
        b.iter_batched_ref(
            || body.clone(),
            |body| jira_send::schema::validate(Api::Builds, body).expect("valid"),
            BatchSize::SmallInput,
        );
    });
    schema.finish();
}

/// The root commit of the synthetic history.
fn first_commit(path: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["rev-list", "--max-parents=0", "main"])
        .output()
        .ok()?;
    Some(String::from_utf8(out.stdout).ok()?.trim().to_owned())
}

/// A request of 100 builds: the documented example, numbered.
fn hundred_builds() -> Value {
    let example: Value =
        serde_json::from_str(include_str!("../examples/payloads/build.json")).expect("the example");
    let build = &example["builds"][0];
    let builds: Vec<Value> = (1..=100)
        .map(|n| {
            let mut build = build.clone();
            build["buildNumber"] = json!(n);
            build
        })
        .collect();
    let mut body = example.clone();
    body["builds"] = Value::Array(builds);
    body
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
