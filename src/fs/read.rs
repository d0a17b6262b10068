//! Bounded reads: of a regular file, of stdin, of a private cache, each stopped at a
//! limit that fits its purpose.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{check_private, open_private, open_regular};

/// Everything `input` holds, if it is at most `limit` bytes.
pub fn read_bounded(input: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// Everything `input` holds, if at most `limit` bytes and it ends by `deadline`. Read
/// on a thread of its own, so that an input that never ends (stdin from a producer
/// that stalled) cannot hold the process past the deadline: that thread is then left
/// waiting, and ends with the process.
pub fn read_bounded_until(
    input: impl Read + Send + 'static,
    limit: u64,
    deadline: tokio::time::Instant,
) -> io::Result<Vec<u8>> {
    let (done, read) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("read-input".into())
        .spawn(move || {
            let _ = done.send(read_bounded(input, limit));
        })?;
    match read.recv_timeout(crate::clock::remaining(deadline)) {
        Ok(bytes) => bytes,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "its end did not come before the deadline",
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(io::Error::other("the thread reading it stopped"))
        }
    }
}

/// A regular file's contents, if at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, false)?;
    read_file(&file, limit)
}

/// A regular file's contents as text, if at most `limit` bytes of UTF-8.
pub fn read_to_string(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// A regular file opened for a streaming read, cut at `limit` bytes: a file larger
/// than that is refused before the first byte is read.
pub fn open_bounded(path: &Path, limit: u64) -> io::Result<io::Take<File>> {
    let file = open_regular(path, false)?;
    if file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    Ok(file.take(limit))
}

/// What the opened `file` holds, if at most `limit` bytes: through this handle, so it
/// works where a lock on it is mandatory (Windows).
pub fn read_file(mut file: &File, limit: u64) -> io::Result<Vec<u8>> {
    // The size says at once that a file is too large, without reading it.
    if file.metadata()?.len() > limit {
        return Err(too_large(limit));
    }
    read_bounded(&mut file, limit)
}

/// A file jira-send wrote for itself (a cache), if it can be trusted: a regular file
/// of at most `limit` bytes, owned by this user and not writable by others. A missing
/// file is `Ok(None)`; any other problem is a warning (naming the file as `what`) and
/// `Ok(None)` too: a cache is only ever an optimisation.
pub fn read_private(path: &Path, limit: u64, what: &str) -> Option<Vec<u8>> {
    let read = open_private(path).and_then(|file| {
        check_private(&file.metadata()?)?;
        read_file(&file, limit)
    });
    match read {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!("ignoring the {what} {}: {e}", path.display());
            None
        }
    }
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than the limit of {} for this file", size(limit)),
    )
}

/// `64 KiB`, `128 MiB`.
pub(super) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}
