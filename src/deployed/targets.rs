//! Where each source lives, read from the CI system's variables: which can be asked
//! in this run, and why the others cannot. The tokens read here are registered with
//! [`crate::mask`] at once, so nothing printed or logged can show them.

use secrecy::SecretString;
use url::Url;

use super::github::GitHub;
use super::gitlab::GitLab;
use super::{Answer, Deployed, is_full_sha, short};

/// The sources of this run: each one ready to ask, or the answer that says why not.
#[derive(Debug)]
pub struct Targets {
    pub github: Result<GitHub, Answer>,
    pub gitlab: Result<GitLab, Answer>,
    /// Jenkins' answer needs no request: it is a variable.
    pub jenkins: Answer,
}

impl Targets {
    /// Reads the variables through `var` (the environment snapshot's `get`). `environment`
    /// is the Jira environment's name; `github_environment` is `--github-environment`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        environment: &str,
        github_environment: Option<&str>,
    ) -> Self {
        Self {
            github: github(&var, github_environment.unwrap_or(environment)),
            gitlab: gitlab(&var, environment),
            jenkins: jenkins(&var),
        }
    }
}

fn github(var: &impl Fn(&str) -> Option<String>, environment: &str) -> Result<GitHub, Answer> {
    let Some(repository) = var("GITHUB_REPOSITORY") else {
        return Err(Answer::missing(
            "not GitHub Actions (GITHUB_REPOSITORY is not set)",
        ));
    };
    let Some((owner, name)) = repository
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
    else {
        return Err(Answer::missing(format!(
            "GITHUB_REPOSITORY {repository:?} is not owner/name"
        )));
    };
    let Some(token) = var("GITHUB_TOKEN").inspect(|t| crate::mask::register(t)) else {
        return Err(Answer::Missing {
            why: "GITHUB_TOKEN is not set".into(),
            remedy: Some("pass GITHUB_TOKEN and grant `deployments: read`".into()),
        });
    };
    let api_url = api_url(
        "GITHUB_API_URL",
        var("GITHUB_API_URL")
            .as_deref()
            .unwrap_or("https://api.github.com"),
    )?;
    Ok(GitHub {
        api_url,
        owner: owner.to_owned(),
        name: name.to_owned(),
        token: SecretString::from(token),
        environment: environment.to_owned(),
    })
}

fn gitlab(var: &impl Fn(&str) -> Option<String>, environment: &str) -> Result<GitLab, Answer> {
    let (Some(token), Some(api), Some(project_id)) =
        (var("CI_JOB_TOKEN"), var("CI_API_V4_URL"), var("CI_PROJECT_ID"))
    else {
        return Err(Answer::missing(
            "not GitLab CI (CI_JOB_TOKEN, CI_API_V4_URL and CI_PROJECT_ID are not all set)",
        ));
    };
    Ok(GitLab {
        api_url: api_url("CI_API_V4_URL", &api)?,
        project_id,
        job_token: SecretString::from(token),
        job_id: var("CI_JOB_ID").and_then(|id| id.trim().parse().ok()),
        reference: var("CI_COMMIT_REF_NAME"),
        // The job's own GitLab environment holds its deployments, whatever the Jira
        // environment is called.
        environment: var("CI_ENVIRONMENT_NAME").unwrap_or_else(|| environment.to_owned()),
    })
}

fn jenkins(var: &impl Fn(&str) -> Option<String>) -> Answer {
    match var("GIT_PREVIOUS_SUCCESSFUL_COMMIT") {
        Some(sha) if is_full_sha(&sha) && !sha.bytes().all(|b| b == b'0') => Answer::Found(Deployed {
            detail: format!("Jenkins' last successful build, {}", short(&sha)),
            sha,
        }),
        Some(other) => Answer::missing(format!(
            "GIT_PREVIOUS_SUCCESSFUL_COMMIT {other:?} is not a commit id"
        )),
        None if var("JENKINS_HOME").is_some() || var("JENKINS_URL").is_some() => Answer::NoneYet(
            "GIT_PREVIOUS_SUCCESSFUL_COMMIT is not set: no successful build of this job yet".into(),
        ),
        None => Answer::missing("not Jenkins (GIT_PREVIOUS_SUCCESSFUL_COMMIT is not set)"),
    }
}

/// An API base URL a token may be sent to: https, or http on a loopback host (tests).
/// Credentials in it are dropped, as from every URL a CI system gives: the token is
/// what authenticates, and they must not reach a message.
fn api_url(variable: &str, text: &str) -> Result<Url, Answer> {
    let text = &*crate::remote::without_credentials(text);
    let url =
        Url::parse(text).map_err(|e| Answer::missing(format!("{variable} {text:?} is not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Answer::missing(format!(
            "{variable} holds credentials in a form jira-send does not strip: no token is sent to it"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(Answer::missing(format!(
            "{variable} {text:?} is not an https URL: no token is sent over it"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn targets(vars: &[(&str, &str)]) -> Targets {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Targets::from_vars(|k| vars.get(k).cloned(), "Production EU", None)
    }

    #[test]
    fn github_needs_a_repository_and_a_token_and_says_which_is_missing() {
        let t = targets(&[("GITHUB_REPOSITORY", "acme/app"), ("GITHUB_TOKEN", "ghs_x")]);
        let github = t.github.unwrap();
        assert_eq!(github.api_url.as_str(), "https://api.github.com/");
        assert_eq!((github.owner.as_str(), github.name.as_str()), ("acme", "app"));
        assert_eq!(github.token.expose_secret(), "ghs_x");
        assert!(!format!("{github:?}").contains("ghs_x"), "Debug masks the token");
        let registered = targets(&[
            ("GITHUB_REPOSITORY", "a/b"),
            ("GITHUB_TOKEN", "ghs_registered-token"),
        ]);
        assert!(registered.github.is_ok());
        assert_eq!(crate::mask::mask("said ghs_registered-token"), "said ****");
        assert_eq!(github.environment, "Production EU");
        let Err(Answer::Missing { why, remedy }) = targets(&[("GITHUB_REPOSITORY", "acme/app")]).github
        else {
            panic!()
        };
        assert_eq!(why, "GITHUB_TOKEN is not set");
        assert_eq!(remedy.unwrap(), "pass GITHUB_TOKEN and grant `deployments: read`");
        let Err(Answer::Missing { remedy: None, .. }) = targets(&[("GITHUB_TOKEN", "x")]).github else {
            panic!("outside GitHub Actions a token alone is no advice")
        };
        for bad in ["acme", "acme/app/x", "/app"] {
            assert!(
                targets(&[("GITHUB_REPOSITORY", bad), ("GITHUB_TOKEN", "x")])
                    .github
                    .is_err()
            );
        }
    }

    #[test]
    fn no_token_goes_over_plain_http_to_another_host() {
        let with = |api: &str| {
            targets(&[
                ("GITHUB_REPOSITORY", "a/b"),
                ("GITHUB_TOKEN", "x"),
                ("GITHUB_API_URL", api),
            ])
        };
        assert!(with("http://ghe.example.com/api/v3").github.is_err());
        assert!(with("ftp://x").github.is_err());
        assert!(with("http://127.0.0.1:8080").github.is_ok());
        let Err(Answer::Missing { why, .. }) = with("http://u:CITOKEN@ghe.example.com/api/v3").github else {
            panic!("plain http")
        };
        assert!(!why.contains("CITOKEN"), "{why}");
        let Err(Answer::Missing { why, .. }) = with("https:u:CITOKEN@ghe.example.com/api/v3").github else {
            panic!("credentials a parser finds")
        };
        assert!(!why.contains("CITOKEN"), "{why}");
        assert_eq!(
            with("https://u:CITOKEN@ghe.example.com/api/v3")
                .github
                .unwrap()
                .api_url
                .as_str(),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            with("https://ghe.example.com/api/v3")
                .github
                .unwrap()
                .api_url
                .as_str(),
            "https://ghe.example.com/api/v3"
        );
    }

    #[test]
    fn gitlab_reads_the_job_and_its_environment() {
        let t = targets(&[
            ("CI_JOB_TOKEN", "glcbt-x"),
            ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
            ("CI_PROJECT_ID", "42"),
            ("CI_JOB_ID", "9001"),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_ENVIRONMENT_NAME", "production"),
        ]);
        let gitlab = t.gitlab.unwrap();
        assert_eq!(gitlab.job_id, Some(9001));
        assert_eq!(gitlab.reference.as_deref(), Some("main"));
        assert_eq!(gitlab.environment, "production");
        assert!(targets(&[("CI_JOB_TOKEN", "x")]).gitlab.is_err());
    }

    #[test]
    fn jenkins_answers_from_its_variable() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let Answer::Found(found) = targets(&[("GIT_PREVIOUS_SUCCESSFUL_COMMIT", sha)]).jenkins else {
            panic!()
        };
        assert_eq!(
            (found.sha.as_str(), found.detail.as_str()),
            (sha, "Jenkins' last successful build, 0123456")
        );
        for bad in ["HEAD~1", "0000000000000000000000000000000000000000"] {
            assert!(matches!(
                targets(&[("GIT_PREVIOUS_SUCCESSFUL_COMMIT", bad)]).jenkins,
                Answer::Missing { .. }
            ));
        }
        let Answer::NoneYet(why) = targets(&[("JENKINS_HOME", "/var/jenkins")]).jenkins else {
            panic!()
        };
        assert!(why.contains("no successful build of this job yet"));
    }
}
