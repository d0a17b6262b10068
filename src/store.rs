//! Private files: the cache directory (mode 0700) and atomic writes of files only
//! the user can read (mode 0600).
//!
//! A write goes to a temporary file in the same directory, which is then renamed over
//! the target: a reader sees the old file or the new one, never half of one, even if
//! the process is killed mid-write.

use std::io::Write as _;
use std::path::Path;

/// Creates `dir` (and its parents) readable by the user only.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| with_path(&e, dir))
}

/// Writes `contents` to `path` atomically, mode 0600.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    // tempfile creates the file with mode 0600 on Unix.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| with_path(&e, dir))?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| with_path(&e.error, path))?;
    Ok(())
}

/// Whether a file may be trusted: on Unix, owned by this user and not writable by
/// group or others (someone else could have planted its contents).
pub fn is_private(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(path)
            .is_ok_and(|m| m.mode() & 0o022 == 0 && m.uid() == rustix::process::geteuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        true
    }
}

fn with_path(error: &std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_private_and_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/cache/file.json");
        write_private(&path, b"first").unwrap();
        write_private(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert!(is_private(&path));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("nested/cache")), 0o700);
            // Nothing but the file itself is left behind.
            assert_eq!(
                std::fs::read_dir(dir.path().join("nested/cache"))
                    .unwrap()
                    .count(),
                1
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_of_another_user_are_not_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_private(&path, b"x").unwrap();
        assert!(is_private(&path));
        // Only root may give a file away; elsewhere there is nothing to check.
        if std::os::unix::fs::chown(&path, Some(54_321), None).is_ok() {
            assert!(!is_private(&path));
        }
    }

    #[cfg(unix)]
    #[test]
    fn world_writable_files_are_not_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!is_private(&path));
    }
}
