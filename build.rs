//! Looks for what a few tests need from outside the repository, so that a test whose
//! need is missing is reported as *ignored, with its reason* instead of passing
//! without having checked anything:
//!
//! - `bash`, `zsh` and `fish`, whose completion of the generated scripts the
//!   completion tests drive (`skip_bash`, `skip_zsh`, `skip_fish`);
//! - Atlassian's specification and recorded answers in `../shared/reference/` next to
//!   the checkout, which the conformance tests read (`skip_reference`).
//!
//! `.ci/run` sets `JIRA_SEND_REQUIRE_SHELLS=1` and `JIRA_SEND_REQUIRE_REFERENCE=1`:
//! then nothing is skipped, and a missing need fails its tests.
//!
//! The binary itself is the same whatever this finds: only `#[cfg_attr(…, ignore)]`
//! attributes of tests read these flags.

// A build script talks to cargo on stdout and reads its own environment: there is no
// `crate::env::Env` here.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::path::{Path, PathBuf};

const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=JIRA_SEND_REQUIRE_SHELLS");
    println!("cargo::rerun-if-env-changed=JIRA_SEND_REQUIRE_REFERENCE");

    let require_shells = required("JIRA_SEND_REQUIRE_SHELLS");
    // The completion scripts are tested with the Unix shells; on Windows, Git's bash
    // is not the shell they are for.
    let unix = std::env::var_os("CARGO_CFG_UNIX").is_some();
    for shell in SHELLS {
        println!("cargo::rustc-check-cfg=cfg(skip_{shell})");
        match find_on_path(shell).filter(|_| unix) {
            // Rebuilt when the shell is replaced; a shell installed later is seen
            // when PATH changes or after `cargo clean`.
            Some(path) => println!("cargo::rerun-if-changed={}", path.display()),
            None if require_shells => {}
            None => println!("cargo::rustc-cfg=skip_{shell}"),
        }
    }

    println!("cargo::rustc-check-cfg=cfg(skip_reference)");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let reference = manifest.join("../shared/reference");
    if reference.is_dir() {
        println!("cargo::rerun-if-changed={}", reference.display());
    } else if !required("JIRA_SEND_REQUIRE_REFERENCE") {
        println!("cargo::rustc-cfg=skip_reference");
    }
}

fn required(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|v| !v.is_empty() && v != "0")
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.with_extension("exe").is_file()
}
