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

use std::fs::{File, Metadata};
use std::io::{self, Read, Write as _};
use std::path::Path;

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

/// Opens `path` (for writing too when `write`), refusing anything but a regular file.
/// Symbolic links are followed: the files a user names may be links (a mounted secret).
///
/// On Unix the file is opened with `O_NONBLOCK`, so a FIFO cannot block the open; the
/// type is then read from the opened handle, so nothing can be swapped in between.
/// (`O_NONBLOCK` does nothing to a regular file.) Elsewhere there are no FIFOs to
/// block on, and the same check of the handle refuses directories and devices.
pub fn open_regular(path: &Path, write: bool) -> io::Result<File> {
    open(path, write, true)
}

/// Opens one of jira-send's own files (an outbox entry, a token or cloud-id cache) for
/// reading, as [`open_regular`] does but never through a symbolic link: whoever can
/// write the directory could plant one to make jira-send read, trust and send a file
/// from elsewhere.
pub fn open_private(path: &Path) -> io::Result<File> {
    open(path, false, false)
}

fn open(path: &Path, write: bool, follow: bool) -> io::Result<File> {
    let mut options = File::options();
    options.read(true).write(write);
    // Unix: O_NONBLOCK (see open_regular); O_NOFOLLOW makes the open fail (ELOOP)
    // where the path's last component is a symbolic link.
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        let flags = if follow {
            OFlags::NONBLOCK
        } else {
            OFlags::NONBLOCK | OFlags::NOFOLLOW
        };
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, flags.bits() as i32);
    }
    // Windows: FILE_FLAG_OPEN_REPARSE_POINT opens a symbolic link itself instead of its
    // target; the check of the handle below then refuses it.
    #[cfg(windows)]
    if !follow {
        std::os::windows::fs::OpenOptionsExt::custom_flags(&mut options, 0x0020_0000);
    }
    let file = options.open(path).map_err(|e| link_refused(e, path))?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(kind(&metadata)));
    }
    Ok(file)
}

/// What is at `path` when it is there but not a regular file: `a symbolic link` (not
/// followed), `a directory`, `a named pipe (FIFO)`… A probe: nothing is opened.
pub fn special(path: &Path) -> Option<&'static str> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    (!metadata.is_file()).then(|| kind(&metadata))
}

/// `error` from opening `path` without following a link, said plainly when a link is
/// what refused it (on Unix, `ELOOP`: "too many levels of symbolic links").
fn link_refused(error: io::Error, path: &Path) -> io::Error {
    match special(path) {
        Some(kind) if kind == "a symbolic link" => not_regular(kind),
        _ => error,
    }
}

fn not_regular(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file but {kind}"),
    )
}

/// What a file that is not a regular file is, for an error message.
fn kind(metadata: &Metadata) -> &'static str {
    if metadata.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

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

/// Whether a file may be trusted, from the metadata of its opened handle: on Unix,
/// owned by this user and not writable by group or others (someone else could have
/// planted its contents). Elsewhere the cache directory's own permissions protect it.
pub fn check_private(metadata: &Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let denied = |why: &str| Err(io::Error::new(io::ErrorKind::PermissionDenied, why.to_owned()));
        if metadata.uid() != rustix::process::geteuid().as_raw() {
            return denied("it belongs to another user");
        }
        if metadata.mode() & 0o022 != 0 {
            return denied("group or others can write it");
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    Ok(())
}

/// Whether `path` still names the file `file` is open on: not deleted, not replaced
/// since it was opened. `Ok(false)` when nothing is at `path` any more.
pub fn still_names(path: &Path, file: &File) -> io::Result<bool> {
    // Unix: the same device and inode. `stat` does not open the path, so whatever is
    // there now (even a FIFO) cannot block.
    #[cfg(unix)]
    let same = {
        use std::os::unix::fs::MetadataExt as _;
        let (open, named) = match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => (open, named),
            (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        open.dev() == named.dev() && open.ino() == named.ino()
    };
    // Elsewhere (Windows): the volume serial number and file index, through same-file.
    #[cfg(not(unix))]
    let same = match same_file::Handle::from_path(path) {
        Ok(named) => named == same_file::Handle::from_file(file.try_clone()?)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(same)
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than the limit of {} for this file", size(limit)),
    )
}

/// `64 KiB`, `128 MiB`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn with_path(error: &io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests;
