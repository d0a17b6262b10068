//! The walk over `base..head`: every commit reachable from `head` and not from `base`,
//! newest first, each read from the object database exactly once.
//!
//! Why not libgit2's revision walk: with a hidden base it reads the whole range before
//! yielding the first commit (to find the excluded part), and it keeps no messages, so
//! reading a message meant inflating every commit a second time, or caching all of
//! them. Git avoids that with its commit-graph file, which libgit2's walk does not use.
//! This walk does what git's does: commits leave a queue in committer-date order; a
//! commit reached from the base is *uninteresting* and passes that on to its parents;
//! the walk ends when nothing interesting is left.
//!
//! Dates only approximate ancestry: with clock skew an interesting commit can turn out
//! to be reachable from the base after it left the queue. Git guards against that
//! by processing a few more commits ("slop") before it trusts the result; here a commit
//! is yielded only after [`WINDOW`] more commits have left the queue, and is dropped if
//! it was marked uninteresting meanwhile. The walk also goes on for a window's worth
//! of uninteresting commits after the last interesting one.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use git2::{ErrorCode, Odb, OdbObject, Oid};

use crate::error::{Error, Result};

/// How many commits a yielded commit waits behind, for skew to show.
const WINDOW: usize = 64;

/// What the walk knows of a commit: a few bytes each, as a walk may know 100,000s.
#[derive(Clone, Copy)]
struct State {
    uninteresting: bool,
    /// Waiting in the queue (its object is in `Walk::queued`).
    queued: bool,
    /// Its parents, once it left the queue: a range of `Walk::parents`.
    parents: (u32, u32),
}

/// Commit ids are uniformly random: their first bytes are a good hash already.
#[derive(Clone, Copy, Default)]
struct OidHash(u64);

impl Hasher for OidHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
}

type OidMap<V> = HashMap<Oid, V, BuildHasherDefault<OidHash>>;

/// The walk's bookkeeping.
struct Walk<'odb> {
    odb: &'odb Odb<'odb>,
    states: OidMap<State>,
    /// The objects of queued commits, read once when they were found.
    queued: OidMap<OdbObject<'odb>>,
    parents: Vec<Oid>,
    /// Newest first; equal dates in the order found, so the walk is deterministic.
    queue: BinaryHeap<(i64, Reverse<u64>, Oid)>,
    found: u64,
    interesting_queued: usize,
}

impl<'odb> Walk<'odb> {
    /// Reads `id` and queues it; `false` if it is not in the object database.
    fn discover(&mut self, id: Oid, uninteresting: bool) -> Result<bool> {
        let object = match self.odb.read(id) {
            Ok(object) => object,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(false),
            Err(e) => return Err(Error::git(format!("cannot read commit {id}"), e)),
        };
        self.found += 1;
        self.queue
            .push((committer_time(object.data()), Reverse(self.found), id));
        self.queued.insert(id, object);
        self.states.insert(
            id,
            State {
                uninteresting,
                queued: true,
                parents: (0, 0),
            },
        );
        if !uninteresting {
            self.interesting_queued += 1;
        }
        Ok(true)
    }

    /// Marks `id` uninteresting, and what it reaches that the walk already passed: a
    /// commit found reachable from the base late (clock skew) takes its ancestors along.
    fn mark_uninteresting(&mut self, id: Oid) {
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            let Some(state) = self.states.get_mut(&id) else {
                continue;
            };
            if state.uninteresting {
                continue;
            }
            state.uninteresting = true;
            if state.queued {
                self.interesting_queued -= 1;
            }
            let (start, end) = state.parents;
            stack.extend_from_slice(&self.parents[start as usize..end as usize]);
        }
    }
}

/// Walks `head` minus `base`, calling `visit` with each commit's id and raw object,
/// newest first, until `max` commits or the end. Returns how many were visited and
/// whether `max` cut the walk short. Commits in `shallow` have no parents here, as in
/// a shallow clone; parents missing from the object database end the walk there too.
pub(super) fn walk<'odb>(
    odb: &'odb Odb<'odb>,
    head: Oid,
    base: Option<Oid>,
    shallow: &HashSet<Oid>,
    max: usize,
    mut visit: impl FnMut(Oid, &[u8]) -> Result<()>,
) -> Result<(usize, bool)> {
    let mut walk = Walk {
        odb,
        states: OidMap::default(),
        queued: OidMap::default(),
        parents: Vec::new(),
        queue: BinaryHeap::new(),
        found: 0,
        interesting_queued: 0,
    };
    if !walk.discover(head, false)? {
        return Err(Error::usage(format!("commit {head} is not in this repository")));
    }
    if let Some(base) = base {
        walk.discover(base, true)?;
    }

    let mut window: VecDeque<(Oid, OdbObject<'odb>)> = VecDeque::new();
    let mut visited = 0usize;
    let mut slop = WINDOW;
    while let Some((_, _, id)) = walk.queue.pop() {
        let Some(object) = walk.queued.remove(&id) else {
            continue;
        };
        let state = walk.states.get_mut(&id).expect("queued commits have a state");
        state.queued = false;
        let uninteresting = state.uninteresting;
        if !uninteresting {
            walk.interesting_queued -= 1;
        } else if walk.interesting_queued == 0 {
            // Only the base's side is left: a window's worth more, for skew, then stop.
            if slop == 0 || window.is_empty() {
                break;
            }
            slop -= 1;
        }
        let start = walk.parents.len();
        if !shallow.contains(&id) {
            walk.parents.extend(parents(object.data()));
        }
        let end = walk.parents.len();
        walk.states.get_mut(&id).expect("known").parents = (start as u32, end as u32);
        for index in start..end {
            let parent = walk.parents[index];
            if walk.states.contains_key(&parent) {
                if uninteresting {
                    walk.mark_uninteresting(parent);
                }
            } else {
                walk.discover(parent, uninteresting)?;
            }
        }
        if uninteresting {
            continue;
        }
        window.push_back((id, object));
        if window.len() > WINDOW {
            let (id, object) = window.pop_front().expect("the window is not empty");
            if !walk.states[&id].uninteresting {
                if visited == max {
                    return Ok((visited, true));
                }
                visit(id, object.data())?;
                visited += 1;
            }
        }
    }
    for (id, object) in window {
        if walk.states[&id].uninteresting {
            continue;
        }
        if visited == max {
            return Ok((visited, true));
        }
        visit(id, object.data())?;
        visited += 1;
    }
    Ok((visited, false))
}

/// The `parent` lines of a raw commit.
fn parents(raw: &[u8]) -> Vec<Oid> {
    headers(raw)
        .filter_map(|line| line.strip_prefix(b"parent "))
        .filter_map(|hex| Oid::from_str(std::str::from_utf8(hex).ok()?).ok())
        .collect()
}

/// The committer's time, in seconds since the epoch.
fn committer_time(raw: &[u8]) -> i64 {
    headers(raw)
        .find_map(|line| line.strip_prefix(b"committer "))
        .and_then(|line| {
            // `Name <email> 1700000000 +0000`: the second field from the end.
            let text = std::str::from_utf8(line).ok()?;
            text.rsplit(' ').nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// The header lines of a raw commit, up to the blank line before the message.
fn headers(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let end = memchr::memmem::find(raw, b"\n\n").unwrap_or(raw.len());
    raw[..end].split(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn random_histories_with_skewed_clocks_agree_with_libgit2() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..25 {
            let mut g = Graph::new();
            g.commit(&[], 1000);
            for i in 1..40 {
                let first = next(i as u64) as usize;
                let mut parents = vec![first];
                if next(4) == 0 {
                    let second = next(i as u64) as usize;
                    if second != first {
                        parents.push(second);
                    }
                }
                // Mostly increasing dates, one in five off by up to an hour either way.
                let skew = if next(5) == 0 { next(7200) as i64 - 3600 } else { 0 };
                g.commit(&parents, 1000 + i as i64 * 60 + skew);
            }
            for _ in 0..6 {
                let head = next(40) as usize;
                let base = next(41) as usize;
                let base = (base < 40).then_some(base);
                let (ours, theirs) = g.both(head, base);
                assert_eq!(ours, theirs, "{head} minus {base:?}");
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
}
