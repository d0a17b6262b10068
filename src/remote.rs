//! Git remote URLs: the forms hosting services hand out, reduced to a host and a
//! repository path, from which web URLs and stable identifiers are derived.

/// A repository on a hosting service: `github.com` + `acme/app`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub host: String,
    /// The repository path without a leading `/` or trailing `.git`:
    /// `acme/app`, or for Azure DevOps `org/project/_git/repo`.
    pub path: String,
}

impl Remote {
    /// Understands `https://[user[:secret]@]host[:port]/path[.git]`,
    /// `ssh://[user@]host[:port]/path[.git]`, scp-like `user@host:path[.git]`, and
    /// Azure DevOps' `git@ssh.dev.azure.com:v3/org/project/repo`. Local paths and
    /// `file://` URLs have no web form: `None`.
    ///
    /// Credentials embedded in the URL (GitLab CI's `gitlab-ci-token:…@`) are
    /// dropped here, so they can never reach a payload or a log.
    pub fn parse(url: &str) -> Option<Self> {
        let url = url.trim();
        let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git") {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host_port.split(':').next()?;
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
        if host.is_empty() || path.is_empty() || host.len() == 1 {
            // A one-letter "host" is a Windows drive (`C:\repo`).
            return None;
        }
        Some(azure_ssh(&host, path).unwrap_or(Self {
            host,
            path: path.to_owned(),
        }))
    }

    /// The repository's page: `https://github.com/acme/app`.
    pub fn web_url(&self) -> String {
        format!("https://{}/{}", self.host, self.path)
    }

    /// A readable id, stable across clones and runs: `github.com/acme/app`.
    pub fn slug(&self) -> String {
        format!("{}/{}", self.host, self.path)
    }

    /// The page of `branch` on the hosting service.
    pub fn branch_url(&self, branch: &str) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/tree/{branch}"),
            Forge::Bitbucket => format!("{web}/branch/{branch}"),
            Forge::Azure => format!("{web}?version=GB{branch}"),
            Forge::GitHub => format!("{web}/tree/{branch}"),
        }
    }

    /// The page of the commit `sha` on the hosting service.
    pub fn commit_url(&self, sha: &str) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/commit/{sha}"),
            Forge::Bitbucket => format!("{web}/commits/{sha}"),
            Forge::Azure | Forge::GitHub => format!("{web}/commit/{sha}"),
        }
    }

    /// The page of `path` as of commit `sha`.
    pub fn file_url(&self, sha: &str, path: &str) -> String {
        let web = self.web_url();
        match self.forge() {
            Forge::GitLab => format!("{web}/-/blob/{sha}/{path}"),
            Forge::Bitbucket => format!("{web}/src/{sha}/{path}"),
            Forge::Azure => format!("{web}?path=/{path}&version=GC{sha}"),
            Forge::GitHub => format!("{web}/blob/{sha}/{path}"),
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
            "https://gitlab.example.com/group/sub group/app/-/blob/abc/src/a.rs"
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
