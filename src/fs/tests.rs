use super::*;

fn private(path: &Path) -> bool {
    let file = open_regular(path, false).unwrap();
    check_private(&file.metadata().unwrap()).is_ok()
}

#[test]
fn writes_are_private_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/cache/file.json");
    write_private(&path, b"first").unwrap();
    write_private(&path, b"second").unwrap();
    assert_eq!(read(&path, 100).unwrap(), b"second");
    assert!(private(&path));
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

#[test]
fn new_files_never_replace_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entry.json");
    write_new_private(&path, b"first").unwrap();
    assert!(write_new_private(&path, b"second").is_err());
    assert_eq!(read(&path, 100).unwrap(), b"first");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary left"
    );
}

#[test]
fn reads_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "12345").unwrap();
    assert_eq!(read(&path, 5).unwrap(), b"12345");
    let error = read(&path, 4).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::FileTooLarge);
    assert!(error.to_string().contains("4 bytes"), "{error}");
    assert!(open_bounded(&path, 4).is_err());
    assert_eq!(
        read_bounded(&b"123"[..], 2).unwrap_err().kind(),
        io::ErrorKind::FileTooLarge
    );
    assert_eq!(size(limit::SECRET), "64 KiB");
    assert_eq!(size(limit::PAYLOAD), "128 MiB");
}

#[test]
fn only_regular_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let error = read(dir.path(), 100).unwrap_err();
    // Windows refuses to open a directory at all; elsewhere the handle says what it is.
    #[cfg(unix)]
    assert!(error.to_string().contains("a directory"), "{error}");
    let _ = error;
}

#[cfg(unix)]
#[test]
fn devices_and_fifos_are_refused_at_once() {
    let error = read(Path::new("/dev/zero"), limit::PAYLOAD).unwrap_err();
    assert!(error.to_string().contains("a device"), "{error}");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    // Without O_NONBLOCK this open would wait for a writer forever.
    let error = read(&fifo, 100).unwrap_err();
    assert!(error.to_string().contains("FIFO"), "{error}");
    assert!(open_regular(&fifo, true).is_err());
}

/// jira-send's own files are never read through a symbolic link, dangling or not;
/// the files a user names may be links.
#[cfg(unix)]
#[test]
fn private_files_are_never_read_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    write_private(&target, b"planted").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).unwrap();
    for path in [&link, &dangling] {
        let error = open_private(path).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not a regular file but a symbolic link",
            "{}",
            path.display()
        );
        assert_eq!(read_private(path, 100, "cache"), None);
        assert_eq!(special(path), Some("a symbolic link"));
    }
    assert_eq!(read(&link, 100).unwrap(), b"planted", "a user's link is followed");
    assert_eq!(read_private(&target, 100, "cache"), Some(b"planted".to_vec()));
    assert_eq!(special(&target), None);
    assert_eq!(special(&dir.path().join("nothing")), None);

    // A lock file planted as a link is neither followed nor created at its target.
    let lock = dir.path().join(".lock");
    std::os::unix::fs::symlink(dir.path().join("made-elsewhere"), &lock).unwrap();
    assert!(open_lock(&lock).is_err());
    assert!(!dir.path().join("made-elsewhere").exists());
}

#[test]
fn a_file_is_still_itself_until_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_private(&path, b"one").unwrap();
    let file = open_regular(&path, false).unwrap();
    assert!(still_names(&path, &file).unwrap());
    write_private(&path, b"two").unwrap();
    assert!(!still_names(&path, &file).unwrap(), "replaced");
    std::fs::remove_file(&path).unwrap();
    assert!(!still_names(&path, &file).unwrap(), "deleted");
}

#[test]
fn missing_caches_are_quietly_absent() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(read_private(&dir.path().join("none"), 10, "cache"), None);
    let path = dir.path().join("c");
    write_private(&path, b"x").unwrap();
    assert_eq!(read_private(&path, 10, "cache"), Some(b"x".to_vec()));
    assert_eq!(read_private(&path, 0, "cache"), None, "too large");
}

#[cfg(unix)]
#[test]
fn files_of_another_user_are_not_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_private(&path, b"x").unwrap();
    assert!(private(&path));
    // Only root may give a file away; elsewhere there is nothing to check.
    if std::os::unix::fs::chown(&path, Some(54_321), None).is_ok() {
        assert!(!private(&path));
        assert_eq!(read_private(&path, 10, "cache"), None);
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
    assert!(!private(&path));
    assert_eq!(read_private(&path, 10, "cache"), None);
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_work_runs_off_the_runtime_thread() {
    let runtime_thread = std::thread::current().id();
    let worker = off_runtime(|| std::thread::current().id()).await;
    assert_ne!(worker, runtime_thread);
}

#[tokio::test(flavor = "current_thread")]
#[should_panic(expected = "disk on fire")]
async fn a_panic_off_the_runtime_is_the_callers() {
    off_runtime(|| panic!("disk on fire")).await;
}

#[test]
fn appends_go_to_the_end_of_a_regular_file_created_if_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    append(&path, b"a=1\n").unwrap();
    append(&path, b"b=2\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a=1\nb=2\n");
    let error = append(dir.path(), b"x").unwrap_err();
    #[cfg(unix)]
    assert!(error.to_string().contains("a directory"), "{error}");
    let _ = error;
}

/// `$GITHUB_OUTPUT` naming a FIFO: refused at once, whether or not a reader has it
/// open (without O_NONBLOCK, the open would wait for a reader forever).
#[cfg(unix)]
#[test]
fn appends_to_a_fifo_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let error = append(&fifo, b"a=1\n").unwrap_err();
    assert_eq!(error.to_string(), "not a regular file but a named pipe (FIFO)");
    // With a reader (that never reads), the open succeeds and the handle refuses it.
    let reader = rustix::fs::open(
        &fifo,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let error = append(&fifo, b"a=1\n").unwrap_err();
    assert_eq!(error.to_string(), "not a regular file but a named pipe (FIFO)");
    drop(reader);
    let error = append(Path::new("/dev/full"), b"x").unwrap_err();
    assert!(error.to_string().contains("a device"), "{error}");
}
