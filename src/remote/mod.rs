//! Git remote URLs: the forms hosting services hand out, reduced to a host and a
//! repository path, from which stable identifiers and web pages (`pages`) are
//! derived, every part that comes from git percent-encoded (`encode`).

mod encode;
mod pages;

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

pub use encode::{path, query_value, segment};

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
            let host = without_userinfo(authority).split(':').next()?;
            // A query or fragment is not part of the repository's path.
            let path = path.split(['?', '#']).next().unwrap_or_default();
            (host, path)
        } else {
            // scp-like: [user@]host:path, where host has no '/' before the ':'.
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') || path.starts_with("//") {
                return None;
            }
            (without_userinfo(authority), path)
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

    /// The repository's name: the last path segment.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// `url` without the credentials its authority may carry:
/// `https://user:token@ci.example.com/job/1` → `https://ci.example.com/job/1`. Every URL
/// a CI system hands out goes through here before it is kept, shown or logged (a
/// runner may build its links from a clone URL with a token in it); git remotes drop
/// theirs in [`Remote::parse`], by the same rule.
///
/// The authority ends where a URL parser ends it (at `/`, `\`, `?` or `#`), so what
/// is dropped is what a parser would have read as the userinfo. Text without `://` is
/// returned as it is.
pub fn without_credentials(url: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Cow::Borrowed(url);
    };
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = without_userinfo(authority);
    if host.len() == authority.len() {
        Cow::Borrowed(url)
    } else {
        Cow::Owned(format!("{scheme}://{host}{tail}"))
    }
}

/// `user:secret@host:port` → `host:port`. The userinfo ends at the *last* `@`, as URL
/// parsers read it, so a secret holding an unencoded `@` goes with it.
fn without_userinfo(authority: &str) -> &str {
    authority.rsplit_once('@').map_or(authority, |(_, host)| host)
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

    #[test]
    fn links_lose_their_credentials_and_nothing_else() {
        for (given, kept) in [
            (
                "https://u:CITOKEN@ci.example.com/job/1?x=y#z",
                "https://ci.example.com/job/1?x=y#z",
            ),
            ("https://CITOKEN@ci.example.com", "https://ci.example.com"),
            (
                "https://u:CI@TOKEN@ci.example.com:8443/a",
                "https://ci.example.com:8443/a",
            ),
            (
                "https://u:CITOKEN@ci.example.com?a=b",
                "https://ci.example.com?a=b",
            ),
            ("http://u:CITOKEN@ci.example.com\\a", "http://ci.example.com\\a"),
            ("ssh://git@github.com/a/b.git", "ssh://github.com/a/b.git"),
        ] {
            assert_eq!(without_credentials(given), kept, "{given}");
        }
        for same in [
            "https://ci.example.com/job/1?who=a@b",
            "https://ci.example.com/a@b",
            "git@github.com:a/b.git",
            "",
        ] {
            assert!(
                matches!(without_credentials(same), Cow::Borrowed(s) if s == same),
                "{same}"
            );
        }
    }

    #[test]
    fn credentials_never_survive() {
        let remote = Remote::parse("https://user:hunter2@example.com/a/b.git").unwrap();
        assert!(!remote.slug().contains("hunter2"));
        assert_eq!(remote.slug(), "example.com/a/b");
        assert_eq!(remote.name(), "b");
    }
}
