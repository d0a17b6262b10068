//! Any other CI system: one that sets `CI`, with the variables many systems share
//! (`BUILD_NUMBER`, `BUILD_URL`, `BRANCH_NAME`, `GIT_COMMIT`, …). Anything missing comes
//! from flags and the repository, as outside CI.

use super::vars::{first, number};
use super::{CiContext, Field};
use crate::env::Env;

pub(super) fn detect(env: &Env) -> Option<CiContext> {
    if !env.flag("CI") {
        return None;
    }
    let get = |name: &str| env.get(name).map(str::to_owned);
    let (build, build_from) = first([
        ("BUILD_NUMBER", get("BUILD_NUMBER")),
        ("CI_BUILD_NUMBER", get("CI_BUILD_NUMBER")),
    ]);
    let (run_url, url_from) = first([
        ("BUILD_URL", get("BUILD_URL")),
        ("CI_BUILD_URL", get("CI_BUILD_URL")),
    ]);
    let (branch, branch_from) = first([
        ("BRANCH_NAME", get("BRANCH_NAME")),
        ("CI_BRANCH", get("CI_BRANCH")),
        ("GIT_BRANCH", get("GIT_BRANCH")),
    ]);
    let (commit, commit_from) = first([("GIT_COMMIT", get("GIT_COMMIT")), ("CI_COMMIT", get("CI_COMMIT"))]);
    Some(
        CiContext {
            system: "CI (generic)",
            build_number: number(build.as_deref()),
            run_url,
            branch,
            commit,
            ..CiContext::default()
        }
        .sourced(&[
            (Field::System, "CI"),
            (Field::BuildNumber, build_from),
            (Field::RunUrl, url_from),
            (Field::Branch, branch_from),
            (Field::Commit, commit_from),
        ]),
    )
}
