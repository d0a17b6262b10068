//! A repository's pages on its hosting service: each forge's URL scheme for a branch,
//! a tag, a commit, a file and a pull request.

use super::Remote;
use super::encode::{path, query_value, segment};

impl Remote {
    /// The page of `branch` on the hosting service.
    pub fn branch_url(&self, branch: &str) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/tree/{}", path(branch)),
            Forge::Bitbucket => format!("{web}/branch/{}", path(branch)),
            Forge::Azure => format!("{web}?version=GB{}", query_value(branch)),
            Forge::GitHub => format!("{web}/tree/{}", path(branch)),
        }
    }

    /// The page of the tag `tag` on the hosting service.
    pub fn tag_url(&self, tag: &str) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/tags/{}", path(tag)),
            Forge::Bitbucket => format!("{web}/src/{}", path(tag)),
            Forge::Azure => format!("{web}?version=GT{}", query_value(tag)),
            Forge::GitHub => format!("{web}/releases/tag/{}", path(tag)),
        }
    }

    /// The page of the commit `sha` on the hosting service.
    pub fn commit_url(&self, sha: &str) -> String {
        let web = self.web_url();
        let sha = segment(sha);
        match self.forge() {
            Forge::GitLab => format!("{web}/-/commit/{sha}"),
            Forge::Bitbucket => format!("{web}/commits/{sha}"),
            Forge::Azure | Forge::GitHub => format!("{web}/commit/{sha}"),
        }
    }

    /// The page of `file` (a path in the repository) as of commit `sha`.
    pub fn file_url(&self, sha: &str, file: &str) -> String {
        let web = self.web_url();
        let sha = segment(sha);
        match self.forge() {
            Forge::GitLab => format!("{web}/-/blob/{sha}/{}", path(file)),
            Forge::Bitbucket => format!("{web}/src/{sha}/{}", path(file)),
            Forge::Azure => format!("{web}?path={}&version=GC{sha}", query_value(&format!("/{file}"))),
            Forge::GitHub => format!("{web}/blob/{sha}/{}", path(file)),
        }
    }

    /// The page of pull request `number`.
    pub fn pull_request_url(&self, number: u64) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/merge_requests/{number}"),
            Forge::Bitbucket => format!("{web}/pull-requests/{number}"),
            Forge::Azure => format!("{web}/pullrequest/{number}"),
            Forge::GitHub => format!("{web}/pull/{number}"),
        }
    }

    /// Which URL scheme the host follows. Self-hosted GitLab usually has `gitlab` in
    /// its name; unknown hosts (Gitea, Forgejo, GitHub Enterprise) follow GitHub's.
    fn forge(&self) -> Forge {
        if self.host == "bitbucket.org" {
            Forge::Bitbucket
        } else if self.host == "dev.azure.com" || self.host.ends_with(".visualstudio.com") {
            Forge::Azure
        } else if self.host.split('.').any(|part| part == "gitlab") {
            Forge::GitLab
        } else {
            Forge::GitHub
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Bitbucket,
    Azure,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_and_commit_pages_follow_each_forge() {
        let url = |remote: &str| {
            let r = Remote::parse(remote).unwrap();
            (r.branch_url("main"), r.commit_url("abc"))
        };
        assert_eq!(
            url("git@github.com:acme/app.git"),
            (
                "https://github.com/acme/app/tree/main".into(),
                "https://github.com/acme/app/commit/abc".into()
            )
        );
        assert_eq!(
            url("https://gitlab.example.com/g/app.git"),
            (
                "https://gitlab.example.com/g/app/-/tree/main".into(),
                "https://gitlab.example.com/g/app/-/commit/abc".into()
            )
        );
        assert_eq!(
            url("git@bitbucket.org:t/app.git"),
            (
                "https://bitbucket.org/t/app/branch/main".into(),
                "https://bitbucket.org/t/app/commits/abc".into()
            )
        );
        assert_eq!(
            url("https://dev.azure.com/o/p/_git/r").0,
            "https://dev.azure.com/o/p/_git/r?version=GBmain"
        );
    }

    /// Names git allows in branches, tags and paths, and what each forge's URL holds.
    #[test]
    fn names_from_git_are_encoded_for_each_forge() {
        let file = "docs/My File é #1?%🚀.md";
        let branch = "feature/ABC-1 a#b?c%d-é🚀";
        let cases = [
            (
                "git@github.com:acme/app.git",
                "https://github.com/acme/app/blob/abc/docs/My%20File%20%C3%A9%20%231%3F%25%F0%9F%9A%80.md",
                "https://github.com/acme/app/tree/feature/ABC-1%20a%23b%3Fc%25d-%C3%A9%F0%9F%9A%80",
                "https://github.com/acme/app/releases/tag/v1%20%23%3F",
            ),
            (
                "git@gitlab.com:acme/app.git",
                "https://gitlab.com/acme/app/-/blob/abc/docs/My%20File%20%C3%A9%20%231%3F%25%F0%9F%9A%80.md",
                "https://gitlab.com/acme/app/-/tree/feature/ABC-1%20a%23b%3Fc%25d-%C3%A9%F0%9F%9A%80",
                "https://gitlab.com/acme/app/-/tags/v1%20%23%3F",
            ),
            (
                "git@bitbucket.org:acme/app.git",
                "https://bitbucket.org/acme/app/src/abc/docs/My%20File%20%C3%A9%20%231%3F%25%F0%9F%9A%80.md",
                "https://bitbucket.org/acme/app/branch/feature/ABC-1%20a%23b%3Fc%25d-%C3%A9%F0%9F%9A%80",
                "https://bitbucket.org/acme/app/src/v1%20%23%3F",
            ),
            (
                "https://dev.azure.com/acme/Shop%20Floor/_git/app",
                "https://dev.azure.com/acme/Shop%20Floor/_git/app?path=/docs/My%20File%20%C3%A9%20%231?%25%F0%9F%9A%80.md&version=GCabc",
                "https://dev.azure.com/acme/Shop%20Floor/_git/app?version=GBfeature/ABC-1%20a%23b?c%25d-%C3%A9%F0%9F%9A%80",
                "https://dev.azure.com/acme/Shop%20Floor/_git/app?version=GTv1%20%23?",
            ),
            (
                "https://git.example.com/team/my app.git",
                "https://git.example.com/team/my%20app/blob/abc/docs/My%20File%20%C3%A9%20%231%3F%25%F0%9F%9A%80.md",
                "https://git.example.com/team/my%20app/tree/feature/ABC-1%20a%23b%3Fc%25d-%C3%A9%F0%9F%9A%80",
                "https://git.example.com/team/my%20app/releases/tag/v1%20%23%3F",
            ),
        ];
        for (remote, file_url, branch_url, tag_url) in cases {
            let r = Remote::parse(remote).unwrap();
            assert_eq!(r.file_url("abc", file), file_url, "{remote}");
            assert_eq!(r.branch_url(branch), branch_url, "{remote}");
            assert_eq!(r.tag_url("v1 #?"), tag_url, "{remote}");
            for url in [
                file_url,
                branch_url,
                tag_url,
                &r.commit_url("abc"),
                &r.pull_request_url(7),
            ] {
                let parsed = url::Url::parse(url).unwrap();
                assert_eq!(parsed.as_str(), url, "{remote}: already in its normal form");
                assert!(url.is_ascii(), "{url}");
            }
        }
    }

    #[test]
    fn pull_request_pages_follow_each_forge() {
        let pr = |remote: &str| Remote::parse(remote).unwrap().pull_request_url(7);
        assert_eq!(pr("git@github.com:a/b.git"), "https://github.com/a/b/pull/7");
        assert_eq!(
            pr("git@gitlab.com:a/b.git"),
            "https://gitlab.com/a/b/-/merge_requests/7"
        );
        assert_eq!(
            pr("git@bitbucket.org:a/b.git"),
            "https://bitbucket.org/a/b/pull-requests/7"
        );
        assert_eq!(
            pr("https://dev.azure.com/o/p/_git/r"),
            "https://dev.azure.com/o/p/_git/r/pullrequest/7"
        );
    }
}
