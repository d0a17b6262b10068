//! Writing an entry within what a reader accepts: a file of at most `limit` bytes
//! ([`fs::limit::OUTBOX_ENTRY`] for the outbox). An entry larger than that (several
//! large payload files sent at once while Jira is down) is shared among as many files
//! as it takes, each an entry of its own holding a run of the requests, in order; a
//! file that could not be read back would be set aside, and the report lost.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use serde::Serialize;

use super::{Entry, remove};
use crate::fs;

/// The most a piece's `createdAt` can be longer than the entry's: RFC 3339 with no
/// fraction against one of nine digits (`.123456789`).
const TIMESTAMP_SLACK: u64 = 10;

impl Entry {
    /// The file's contents: indented for whoever opens it, unless that would make it
    /// larger than `limit`.
    fn to_bytes(&self, limit: u64) -> Vec<u8> {
        let bytes = serde_json::to_vec_pretty(self).expect("entries serialize");
        if bytes.len() as u64 <= limit {
            return bytes;
        }
        serde_json::to_vec(self).expect("entries serialize")
    }

    /// The runs of requests that each fit a file of `limit` bytes (unindented), in
    /// order: one run of all of them when the entry fits. A request that fits no file
    /// on its own is an error.
    fn runs(&self, limit: u64) -> io::Result<Vec<Range<usize>>> {
        // Everything but the requests, `[]` included; each request adds its length and,
        // after the first, a comma. A piece's time, a few milliseconds later, may be
        // longer as text ("…:01Z", "…:01.001Z"): measured at its longest.
        let envelope = json_len(&Entry {
            requests: Vec::new(),
            ..self.clone()
        }) + TIMESTAMP_SLACK;
        let mut runs = Vec::new();
        let (mut start, mut size) = (0, envelope);
        for (i, request) in self.requests.iter().enumerate() {
            let length = json_len(request);
            if envelope + length > limit {
                return Err(io::Error::new(
                    io::ErrorKind::FileTooLarge,
                    format!(
                        "one request alone ({length} bytes) is larger than an outbox file may \
                         be ({limit} bytes)"
                    ),
                ));
            }
            let comma = u64::from(i > start);
            if size + comma + length > limit {
                runs.push(start..i);
                (start, size) = (i, envelope + length);
            } else {
                size += comma + length;
            }
        }
        runs.push(start..self.requests.len());
        Ok(runs)
    }
}

/// Writes `entry` to new files in `dir`, each of at most `limit` bytes; returns their
/// paths, in the order of the requests they hold. The pieces of a split entry are
/// created a millisecond apart, so that their names sort in that order too. If one
/// cannot be written, those already written are removed: the entry is saved whole or
/// not at all.
pub(super) fn write(dir: &Path, entry: &Entry, limit: u64) -> io::Result<Vec<PathBuf>> {
    let runs = entry.runs(limit)?;
    let mut written = Vec::with_capacity(runs.len());
    for (n, run) in (0_i64..).zip(runs) {
        let piece = Entry {
            created_at: entry.created_at + TimeDelta::milliseconds(n),
            requests: entry.requests[run].to_vec(),
            ..entry.clone()
        };
        let path = dir.join(piece.file_name());
        if let Err(e) = fs::write_new_private(&path, &piece.to_bytes(limit)) {
            written.iter().for_each(|path: &PathBuf| remove(path));
            return Err(e);
        }
        written.push(path);
    }
    Ok(written)
}

/// The length of `value` as unindented JSON, counted without keeping it.
fn json_len(value: &impl Serialize) -> u64 {
    struct Count(u64);
    impl io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("entries serialize");
    count.0
}
