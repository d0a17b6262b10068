//! Git remote URLs: the forms hosting services hand out, reduced to a host and a
//! repository path, from which web URLs and stable identifiers are derived.
//!
//! Every part of a web URL that comes from git (the repository path, a branch or tag
//! name, a file path) is percent-encoded per RFC 3986 for the place it goes: a path
//! segment keeps only `pchar`s, a query value also encodes `&`, `=` and `+`. Git allows
//! spaces, `#`, `?`, `%`, any Unicode and emoji in all of them, and Jira refuses a
//! payload whose URL is not a URI.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What a path segment may hold as itself (RFC 3986 `pchar`): unreserved characters,
/// sub-delimiters, `:` and `@`. Everything else, non-ASCII included, is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// What a query value may hold as itself: a query's characters (`pchar`, `/`, `?`)
/// but the ones that split or rewrite `key=value&…` pairs (`&`, `=`, `+`).
const QUERY_VALUE: &AsciiSet = &SEGMENT.add(b'&').add(b'=').add(b'+').remove(b'/').remove(b'?');

/// `text` as one path segment: `a/b` → `a%2Fb`.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A `/`-separated path (a file path, a branch name, a repository path) with each
/// segment encoded and the separators kept: `docs/My File.md` → `docs/My%20File.md`.
pub fn path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let _ = write!(out, "{}", utf8_percent_encode(part, SEGMENT));
    }
    out
}

/// `text` as a query value: `/src/a b.rs` → `/src/a%20b.rs`; `a&b` → `a%26b`.
pub fn query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// A repository on a hosting service: `github.com` + `acme/app`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub host: String,
    /// The repository path, decoded, without a leading `/` or trailing `.git`:
    /// `acme/app`, `group/sub group/app`, or for Azure DevOps `org/project/_git/repo`.
    pub path: String,
}

impl Remote {
    /// Understands `https://[user[:secret]@]host[:port]/path[.git]`,
    /// `ssh://[user@]host[:port]/path[.git]`, scp-like `user@host:path[.git]`, and
    /// Azure DevOps' `git@ssh.dev.azure.com:v3/org/project/repo`. Local paths and
    /// `file://` URLs have no web form: `None`.
    ///
    /// Credentials embedded in the URL (GitLab CI's `gitlab-ci-token:…@`) are
    /// dropped here, so they can never reach a payload or a log. The path is
    /// percent-decoded (`Fabrikam%20Fiber` → `Fabrikam Fiber`, as Azure DevOps writes
    /// both its https and its ssh remotes), so that ids read the same whichever form a
    /// clone used, and web URLs encode it once.
    pub fn parse(url: &str) -> Option<Self> {
        let url = url.trim();
        let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host_port.split(':').next()?;
            // A query or fragment is not part of the repository's path.
            let path = path.split(['?', '#']).next().unwrap_or_default();
            (host, path)
        } else {
            // scp-like: [user@]host:path, where host has no '/' before the ':'.
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') || path.starts_with("//") {
                return None;
            }
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            (host, path)
        };
        let host = host.to_ascii_lowercase();
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let path = percent_decode_str(path)
            .decode_utf8()
            .map_or_else(|_| path.to_owned(), |p| p.into_owned());
        if host.is_empty() || path.is_empty() || host.len() == 1 {
            // A one-letter "host" is a Windows drive (`C:\repo`).
            return None;
        }
        Some(azure_ssh(&host, &path).unwrap_or(Self { host, path }))
    }

    /// The repository's page: `https://github.com/acme/app`.
    pub fn web_url(&self) -> String {
        format!("https://{}/{}", self.host, path(&self.path))
    }

    /// A readable id, stable across clones and runs: `github.com/acme/app`.
    pub fn slug(&self) -> String {
        format!("{}/{}", self.host, self.path)
    }

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

    /// An id for the repository that Jira's devinfo API accepts (only
    /// `[A-Za-z0-9~._-]`), stable across clones: `github.com~acme~app`.
    pub fn devinfo_id(&self) -> String {
        self.slug()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "~._-".contains(c) {
                    c
                } else {
                    '~'
                }
            })
            .collect()
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

    /// The repository's name: the last path segment.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Bitbucket,
    Azure,
}

/// `ssh.dev.azure.com:v3/org/project/repo` → `dev.azure.com` + `org/project/_git/repo`.
fn azure_ssh(host: &str, path: &str) -> Option<Remote> {
    if host != "ssh.dev.azure.com" && !host.ends_with("vs-ssh.visualstudio.com") {
        return None;
    }
    let mut parts = path.strip_prefix("v3/")?.splitn(3, '/');
    let (org, project, repo) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Remote {
        host: "dev.azure.com".into(),
        path: format!("{org}/{project}/_git/{repo}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(url: &str) -> Option<String> {
        Remote::parse(url).map(|r| r.web_url())
    }

    #[test]
    fn remotes_reduce_to_their_web_url() {
        let github = Some("https://github.com/acme/app".to_owned());
        assert_eq!(web("https://github.com/acme/app.git"), github);
        assert_eq!(web("https://github.com/acme/app"), github);
        assert_eq!(web("https://github.com/acme/app/"), github);
        assert_eq!(web("git@github.com:acme/app.git"), github);
        assert_eq!(web("ssh://git@github.com/acme/app.git"), github);
        assert_eq!(web("ssh://git@GitHub.com:22/acme/app"), github);
        assert_eq!(
            web("https://gitlab-ci-token:glcbt-SECRET@gitlab.com/group/sub/app.git"),
            Some("https://gitlab.com/group/sub/app".into())
        );
        assert_eq!(
            web("git@bitbucket.org:team/app.git"),
            Some("https://bitbucket.org/team/app".into())
        );
        assert_eq!(
            web("https://acme@dev.azure.com/acme/Shop/_git/app"),
            Some("https://dev.azure.com/acme/Shop/_git/app".into())
        );
        assert_eq!(
            web("git@ssh.dev.azure.com:v3/acme/Shop/app"),
            Some("https://dev.azure.com/acme/Shop/_git/app".into())
        );
    }

    #[test]
    fn local_remotes_have_no_web_url() {
        assert_eq!(web("/srv/git/app.git"), None);
        assert_eq!(web("../app"), None);
        assert_eq!(web("file:///srv/git/app.git"), None);
        assert_eq!(web("C:\\repos\\app"), None);
        assert_eq!(web(""), None);
    }

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

    #[test]
    fn devinfo_ids_use_only_allowed_characters() {
        let r = Remote::parse("git@gitlab.example.com:group/sub group/app.git").unwrap();
        assert_eq!(r.devinfo_id(), "gitlab.example.com~group~sub~group~app");
        assert_eq!(
            r.file_url("abc", "src/a.rs"),
            "https://gitlab.example.com/group/sub%20group/app/-/blob/abc/src/a.rs"
        );
    }

    #[test]
    fn encoded_and_plain_remotes_of_one_repository_are_one_repository() {
        let https =
            Remote::parse("https://acme@dev.azure.com/acme/Fabrikam%20Fiber/_git/Fabrikam%20Fiber").unwrap();
        let ssh = Remote::parse("git@ssh.dev.azure.com:v3/acme/Fabrikam%20Fiber/Fabrikam%20Fiber").unwrap();
        assert_eq!(https, ssh);
        assert_eq!(
            https.slug(),
            "dev.azure.com/acme/Fabrikam Fiber/_git/Fabrikam Fiber"
        );
        assert_eq!(
            https.web_url(),
            "https://dev.azure.com/acme/Fabrikam%20Fiber/_git/Fabrikam%20Fiber",
            "encoded once, not twice"
        );
        assert_eq!(
            https.devinfo_id(),
            "dev.azure.com~acme~Fabrikam~Fiber~_git~Fabrikam~Fiber"
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
    fn query_values_keep_their_pairs_apart() {
        assert_eq!(query_value("a&b=c+d"), "a%26b%3Dc%2Bd");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(path("a/b c"), "a/b%20c");
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

    #[test]
    fn credentials_never_survive() {
        let remote = Remote::parse("https://user:hunter2@example.com/a/b.git").unwrap();
        assert!(!remote.slug().contains("hunter2"));
        assert_eq!(remote.slug(), "example.com/a/b");
        assert_eq!(remote.name(), "b");
    }
}
