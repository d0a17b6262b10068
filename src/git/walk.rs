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
//!
//! Skew wider than that (more than a window of the range's own commits dated between a
//! commit and the skewed one that shows the base reaches it) is not caught: the commit
//! has been yielded by then. The walk then reads too much, never too little. A commit
//! is dropped only once the base is proved to reach it, and the walk ends only when no
//! commit of the range is left to read, so every commit of `base..head` is yielded,
//! plus, with such skew, a few the base also reaches: their keys are reported with this
//! run too. libgit2's walk, which trusts dates as well, errs the same way; the tests
//! check against the graph itself.

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
mod tests;
