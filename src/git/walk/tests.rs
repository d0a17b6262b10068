//! The walk against libgit2's and against the graph itself, on merges, divergent
//! bases, long histories and skewed clocks (within the window and wider).

use super::*;

const RAW: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent 1111111111111111111111111111111111111111\n\
parent 2222222222222222222222222222222222222222\n\
author A U Thor <a@example.com> 1600000000 +0200\n\
committer C O Mitter <c@example.com> 1700000000 -0100\n\
\n\
parent 3333333333333333333333333333333333333333 is in the message, not a header\n";

/// A repository built commit by commit, with chosen committer times.
struct Graph {
    _dir: tempfile::TempDir,
    repo: git2::Repository,
    ids: Vec<Oid>,
}

impl Graph {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        Self {
            _dir: dir,
            repo,
            ids: Vec::new(),
        }
    }

    /// Commit number `ids.len()`, with `parents` (indexes) at `time`.
    fn commit(&mut self, parents: &[usize], time: i64) -> usize {
        let signature = git2::Signature::new("T", "t@example.com", &git2::Time::new(time, 0)).unwrap();
        let tree = {
            let tree = self.repo.treebuilder(None).unwrap().write().unwrap();
            self.repo.find_tree(tree).unwrap()
        };
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|&p| self.repo.find_commit(self.ids[p]).unwrap())
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let message = format!("commit {}", self.ids.len());
        let id = self
            .repo
            .commit(None, &signature, &signature, &message, &tree, &parents)
            .unwrap();
        self.ids.push(id);
        self.ids.len() - 1
    }

    /// `head` minus `base` from the graph itself, whatever the dates say: what
    /// libgit2's walk approximates too (it trusts dates as well).
    fn exact(&self, head: usize, base: usize) -> Vec<usize> {
        let index = |id: Oid| self.ids.iter().position(|&i| i == id).unwrap();
        let reach = |from: usize| {
            let mut seen = HashSet::new();
            let mut stack = vec![from];
            while let Some(c) = stack.pop() {
                if seen.insert(c) {
                    let commit = self.repo.find_commit(self.ids[c]).unwrap();
                    stack.extend(commit.parent_ids().map(index));
                }
            }
            seen
        };
        let from_base = reach(base);
        let mut exact: Vec<usize> = reach(head)
            .into_iter()
            .filter(|c| !from_base.contains(c))
            .collect();
        exact.sort_unstable();
        exact
    }

    /// Our walk and libgit2's, as sets of commit indexes.
    fn both(&self, head: usize, base: Option<usize>) -> (Vec<usize>, Vec<usize>) {
        let index = |id: Oid| self.ids.iter().position(|&i| i == id).unwrap();
        let odb = self.repo.odb().unwrap();
        let mut ours = Vec::new();
        walk(
            &odb,
            self.ids[head],
            base.map(|b| self.ids[b]),
            &HashSet::new(),
            usize::MAX,
            |id, _| {
                ours.push(index(id));
                Ok(())
            },
        )
        .unwrap();
        let mut theirs: Vec<usize> = {
            let mut revwalk = self.repo.revwalk().unwrap();
            revwalk.push(self.ids[head]).unwrap();
            if let Some(base) = base {
                revwalk.hide(self.ids[base]).unwrap();
            }
            revwalk.map(|id| index(id.unwrap())).collect()
        };
        let mut sorted = ours.clone();
        sorted.sort_unstable();
        theirs.sort_unstable();
        (sorted, theirs)
    }
}

#[test]
fn the_walk_agrees_with_libgit2_on_merges_and_divergent_bases() {
    let mut g = Graph::new();
    let root = g.commit(&[], 1000);
    let a1 = g.commit(&[root], 1100);
    let b1 = g.commit(&[root], 1150);
    let a2 = g.commit(&[a1], 1200);
    let b2 = g.commit(&[b1], 1250);
    let merge = g.commit(&[a2, b2], 1300);
    let after = g.commit(&[merge], 1400);
    let side = g.commit(&[b2], 1500);
    for (head, base) in [
        (after, None),
        (after, Some(root)),
        (after, Some(a1)),
        (after, Some(b2)),
        (after, Some(side)),
        (side, Some(after)),
        (a2, Some(after)),
        (merge, Some(merge)),
    ] {
        let (ours, theirs) = g.both(head, base);
        assert_eq!(ours, theirs, "{head} minus {base:?}");
    }
}

#[test]
fn the_window_absorbs_clock_skew() {
    // The base's side reaches `old` through a commit dated before it: a skewed clock.
    let mut g = Graph::new();
    let root = g.commit(&[], 1000);
    let old = g.commit(&[root], 5000);
    let skewed = g.commit(&[old], 2000);
    let base = g.commit(&[skewed], 2100);
    let mut head = g.commit(&[old], 6000);
    for i in 0..10 {
        head = g.commit(&[head], 6100 + i);
    }
    let merged = g.commit(&[head, base], 7000);
    let (ours, theirs) = g.both(merged, Some(base));
    assert_eq!(ours, theirs);
    assert!(!ours.contains(&old), "old is reachable from the base");
}

/// A small deterministic generator (xorshift64): the same graphs on every run.
struct Rng(u64);

impl Rng {
    /// A number below `n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

impl Graph {
    /// `commits` commits, each with one or (one in four) two earlier parents, a minute
    /// apart but one in `one_in` off by up to `max_skew` seconds either way.
    fn random(rng: &mut Rng, commits: usize, one_in: u64, max_skew: i64) -> Self {
        let mut g = Self::new();
        let start = 1000 + max_skew;
        g.commit(&[], start);
        for i in 1..commits {
            let first = rng.below(i as u64) as usize;
            let mut parents = vec![first];
            if rng.below(4) == 0 {
                let second = rng.below(i as u64) as usize;
                if second != first {
                    parents.push(second);
                }
            }
            let skew = if rng.below(one_in) == 0 {
                rng.below(2 * max_skew as u64) as i64 - max_skew
            } else {
                0
            };
            g.commit(&parents, start + i as i64 * 60 + skew);
        }
        g
    }
}

#[test]
fn random_histories_with_skewed_clocks_agree_with_libgit2() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..25 {
        // Mostly increasing dates, one in five off by up to an hour either way.
        let g = Graph::random(&mut rng, 40, 5, 3600);
        for _ in 0..6 {
            let head = rng.below(40) as usize;
            let base = rng.below(41) as usize;
            let base = (base < 40).then_some(base);
            let (ours, theirs) = g.both(head, base);
            assert_eq!(ours, theirs, "{head} minus {base:?}");
        }
    }
}

#[test]
fn skew_wider_than_the_window_reads_too_much_never_too_little() {
    // The base's side reaches `old` through a commit dated before it, as above; but
    // more than a window of the range's own commits is dated between the two, so
    // `old` has been read by the time the skewed commit shows it is the base's.
    let mut g = Graph::new();
    let root = g.commit(&[], 1000);
    let old = g.commit(&[root], 5000);
    let skewed = g.commit(&[old], 2000);
    let base = g.commit(&[skewed], 2100);
    let on_old = g.commit(&[old], 6000);
    let mut side = root;
    for i in 0..(WINDOW as i64 + 10) {
        side = g.commit(&[side], 3000 + i);
    }
    let head = g.commit(&[on_old, side], 6500);
    let merged = g.commit(&[head, base], 7000);
    let (ours, _) = g.both(merged, Some(base));
    let exact = g.exact(merged, base);
    assert!(ours.contains(&old), "read although the base reaches it");
    assert!(!exact.contains(&old));
    let too_much: Vec<usize> = ours.iter().copied().filter(|c| !exact.contains(c)).collect();
    assert_eq!(too_much, [old], "only what the skew hid");
    assert!(
        exact.iter().all(|c| ours.contains(c)),
        "nothing of the range is missed"
    );
}

#[test]
fn random_histories_with_skew_wider_than_the_window_miss_nothing() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Three windows of commits; one in three off by up to 400 minutes either way,
    // several windows' worth.
    const COMMITS: usize = 3 * WINDOW;
    for _ in 0..6 {
        let g = Graph::random(&mut rng, COMMITS, 3, 400 * 60);
        for _ in 0..8 {
            let head = rng.below(COMMITS as u64) as usize;
            let base = rng.below(COMMITS as u64) as usize;
            let (ours, _) = g.both(head, Some(base));
            let exact = g.exact(head, base);
            let missed: Vec<&usize> = exact.iter().filter(|c| !ours.contains(c)).collect();
            assert!(missed.is_empty(), "{head} minus {base}: missed {missed:?}");
        }
    }
}

#[test]
fn long_histories_stream_in_date_order() {
    let mut g = Graph::new();
    let mut last = g.commit(&[], 0);
    for i in 1..300 {
        last = g.commit(&[last], i * 10);
    }
    let odb = g.repo.odb().unwrap();
    let mut seen = Vec::new();
    let (count, truncated) = walk(
        &odb,
        g.ids[last],
        Some(g.ids[100]),
        &HashSet::new(),
        50,
        |id, _| {
            seen.push(id);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!((count, truncated), (50, true));
    assert_eq!(seen[0], g.ids[last], "newest first");
    assert_eq!(seen[49], g.ids[last - 49]);
}

#[test]
fn headers_give_parents_and_the_committer_time() {
    let parents = parents(RAW);
    assert_eq!(parents.len(), 2);
    assert_eq!(
        parents[1],
        Oid::from_str("2222222222222222222222222222222222222222").unwrap()
    );
    assert_eq!(committer_time(RAW), 1_700_000_000);
}
