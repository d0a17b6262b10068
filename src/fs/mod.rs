//! Files: the only module that opens, writes, moves or removes one. Private files (the
//! cache directory, mode 0700; files only the user can read, mode 0600) written
//! atomically, their lock files, bounded reads of regular files, and the appends to a
//! file a CI system hands over for results.
//!
//! A write goes to a temporary file in the same directory, which is then renamed to
//! the target: a reader sees the old file or the new one, never half of one, even if
//! the process is killed mid-write.
//!
//! A read opens the file without blocking, refuses anything but a regular file (a FIFO,
//! `/dev/zero`, a directory, a device) by looking at the opened handle, and stops at a
//! limit that fits what the file is for ([`limit`]): no file can hang the process or
//! fill its memory. Read errors do not name the file; every caller names it, in its
//! own words.
//!
//! The platform-specific parts (modes, owner, `O_NONBLOCK`, file identity) are small,
//! behind `cfg(unix)`, and say what happens elsewhere.

// The one module clippy.toml lets call std::fs.
#![allow(clippy::disallowed_methods)]

use std::fs::File;
use std::io::{self, Write as _};
use std::path::Path;

mod open;
mod read;

pub use open::{check_private, open_private, open_regular, special, still_names};
use open::{kind, link_refused, not_regular};
pub use read::{
    open_bounded, read, read_bounded, read_bounded_until, read_file, read_private, read_to_string,
};

/// How large a file may be, by what it is for. Each is far above what a real file
/// holds and far below what would hurt.
pub mod limit {
    /// A client secret file: a secret is a few dozen characters.
    pub const SECRET: u64 = 64 * 1024;
    /// A `--ca-file` PEM bundle: a whole system's trust store is a few hundred kilobytes.
    pub const CA_FILE: u64 = 16 * 1024 * 1024;
    /// The token and cloud-id caches jira-send writes: a few hundred bytes each.
    pub const CACHE: u64 = 64 * 1024;
    /// `.jira-send.toml`: a few lines.
    pub const PROJECT_FILE: u64 = 1024 * 1024;
    /// A CI system's file (GitHub's event file, TeamCity's properties): GitHub caps a
    /// webhook payload at 25 MB.
    pub const CI_FILE: u64 = 32 * 1024 * 1024;
    /// `.git/shallow`: a line of 41 bytes per commit a shallow clone was cut at, a few
    /// thousand at most where history has many merges.
    pub const GIT_SHALLOW: u64 = 16 * 1024 * 1024;
    /// A JUnit report, read as a stream: a long suite with captured output runs to a
    /// few hundred megabytes.
    pub const JUNIT: u64 = 1024 * 1024 * 1024;
    /// A payload file for `send` and `validate` (or stdin): about 250,000 builds.
    pub const PAYLOAD: u64 = 128 * 1024 * 1024;
    /// An outbox file: one invocation's requests for one site, or a run of them when
    /// they are more (several payload files; the outbox splits such an entry), written
    /// without indentation when indentation would pass this. One request, a share of a
    /// payload, always fits.
    pub const OUTBOX_ENTRY: u64 = 2 * PAYLOAD;
}

/// Runs the blocking file work `work` on the runtime's blocking threads, and waits
/// for it: async code calls this for every file it reads or writes, so that a slow
/// disk (an fsync, a large outbox file) holds up no other site's requests.
pub async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        // The work panicked: so does its caller, as if it had run here.
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Creates `dir` (and its parents) readable by the user only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| with_path(&e, dir))
}

/// Whether only the user can read `dir` (no permission for group or others). Where
/// there are no such modes (Windows), yes.
pub fn is_private_dir(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        true
    }
}

/// Writes `contents` to `path` atomically, mode 0600, replacing what is there.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file = temporary(path, contents)?;
    file.persist(path).map_err(|e| with_path(&e.error, path))?;
    sync_dir(path);
    Ok(())
}

/// Writes `contents` to a new file `path` atomically, mode 0600; fails if `path`
/// exists, so nothing is ever replaced.
pub fn write_new_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file = temporary(path, contents)?;
    file.persist_noclobber(path)
        .map_err(|e| with_path(&e.error, path))?;
    sync_dir(path);
    Ok(())
}

/// `contents` in a temporary file (`.tmp…`, mode 0600) beside `path`, on disk.
fn temporary(path: &Path, contents: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    // tempfile creates the file with mode 0600 on Unix.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| with_path(&e, dir))?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    Ok(file)
}

/// Makes a rename in `path`'s directory durable. Unix only: Windows cannot open a
/// directory as a file, and its renames need no such step.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        // Best effort: the file itself is on disk already.
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Removes the file `path`.
pub fn remove(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
}

/// Moves the file `from` to `to`.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// The names of the entries of `dir`, sorted; none if it cannot be read.
pub fn names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Opens the lock file `path` (created empty, mode 0600, if missing), to lock it. Never
/// through a symbolic link: a planted one would make jira-send create or lock a file
/// elsewhere.
pub fn open_lock(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options.open(path).map_err(|e| link_refused(e, path))
}

/// Appends `contents` to `path`, created if missing: a file a CI system hands over for
/// results, such as `$GITHUB_OUTPUT`. Only to a regular file: a FIFO there (or a
/// device, a directory) is refused at once, never waited on. As in [`open_regular`],
/// the open does not block (`O_NONBLOCK` on Unix: a FIFO without a reader fails with
/// `ENXIO`, one with a reader opens) and the opened handle says what the file is.
pub fn append(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = File::options();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let mut file = options.open(path).map_err(|e| {
        // Say what is there rather than ENXIO's "No such device or address".
        match std::fs::metadata(path) {
            Ok(metadata) if !metadata.is_file() => not_regular(kind(&metadata)),
            _ => e,
        }
    })?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(kind(&metadata)));
    }
    file.write_all(contents)
}

fn with_path(error: &io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests;
