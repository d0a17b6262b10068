//! The recorded CI jobs of `src/ci/recorded/` (see its README), read one way for
//! every test: the unit tests here, and the integration tests, which include this file
//! (`tests/it/ci.rs`) and fill the placeholders with a real repository's commits.

use std::fmt::Display;
use std::path::{Path, PathBuf};

/// The commit ids a recorded job names: `${HEAD}`, `${MERGE}`, `${BASE}`, `${BEFORE}`.
#[derive(Clone, Copy, Debug)]
pub struct Commits<Id> {
    pub head: Id,
    pub merge: Id,
    pub base: Id,
    pub before: Id,
}

/// Where the recorded jobs are.
pub fn recorded_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ci/recorded")
}

/// Every recorded job's name, sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(recorded_dir())
        .unwrap()
        .filter_map(|e| {
            let file = e.unwrap().file_name().into_string().unwrap();
            file.strip_suffix(".env").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The password [`with_credentials`] writes into every URL.
pub const INJECTED_SECRET: &str = "CITOKEN-in-the-url";

/// `text` with credentials in every URL it holds (`https://u:secret@host/…`), as a
/// runner may build its links from a clone URL with a token in it; a URL that had a
/// user (`https://acme@dev.azure.com/…`) gets the secret before it. Comment lines
/// (`#`) are left as they are.
pub fn with_credentials(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.starts_with('#') {
                line.to_owned()
            } else {
                line.replace("://", &format!("://jira-send:{INJECTED_SECRET}@"))
            }
        })
        .collect()
}

/// The variables of the recorded job `name`, its other files copied into `dir` (which
/// `${DIR}` names), its placeholders filled, every file's text (variables and other
/// files alike) passed through `edit` first (`str::to_owned`: as recorded).
pub fn load<Id: Display>(
    name: &str,
    dir: &Path,
    commits: &Commits<Id>,
    edit: impl Fn(&str) -> String,
) -> Vec<(String, String)> {
    let fill = |text: &str| {
        edit(text)
            .replace("${DIR}", dir.to_str().unwrap())
            .replace("${HEAD}", &commits.head.to_string())
            .replace("${MERGE}", &commits.merge.to_string())
            .replace("${BASE}", &commits.base.to_string())
            .replace("${BEFORE}", &commits.before.to_string())
    };
    for entry in std::fs::read_dir(recorded_dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if file.starts_with(&format!("{name}.")) && !file.ends_with(".env") {
            std::fs::write(dir.join(&file), fill(&std::fs::read_to_string(&path).unwrap())).unwrap();
        }
    }
    fill(&std::fs::read_to_string(recorded_dir().join(format!("{name}.env"))).unwrap())
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("{name}: {l}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}
