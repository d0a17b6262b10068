//! Opening files: only regular ones, never blocking on a FIFO, and for jira-send's own
//! files never through a symbolic link; what a handle says about the file behind it.

// Part of the one module clippy.toml lets call std::fs.
#![allow(clippy::disallowed_methods)]

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

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
pub(super) fn link_refused(error: io::Error, path: &Path) -> io::Error {
    match special(path) {
        Some(kind) if kind == "a symbolic link" => not_regular(kind),
        _ => error,
    }
}

pub(super) fn not_regular(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file but {kind}"),
    )
}

/// What a file that is not a regular file is, for an error message.
pub(super) fn kind(metadata: &Metadata) -> &'static str {
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
