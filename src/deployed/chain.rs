//! The resolution chain: from what each source answered to where the range starts,
//! where that came from, and what to tell the user. A pure function, so every path
//! through the chain is tested without a network or a repository.

use super::{Answer, FromSource, Mode, Source};

/// `--since REV` or `--since-tag GLOB`: explicit, so it always wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explicit {
    Since(String),
    SinceTag(String),
}

/// The start of the range the CI system reports (a push's previous commit, a pull
/// request's base), and what it is, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiBase {
    pub sha: String,
    /// "the push's previous commit (GitHub Actions)".
    pub detail: String,
}

/// Where the range starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// `--since REV`: today's walk.
    Since(String),
    /// `--since-tag GLOB`: today's walk.
    SinceTag(String),
    /// The previous deployment's commit: placed against HEAD by [`super::plan()`].
    Deployed(String),
    /// The commit the CI system names: today's walk (`git::Start::Ci`).
    Ci(String),
    /// HEAD alone.
    Head,
}

/// Where the range starts, why, and what to say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// `range.fromSource`.
    pub from_source: FromSource,
    pub start: Start,
    /// `range.fromDetail`: "GitHub deployment 123456, 2026-11-20, a1b2c3d".
    pub detail: Option<String>,
    /// Why each source that did not answer was skipped: for `-v`.
    pub notes: Vec<String>,
    /// Lookups that failed, and the fallback's advice: for every level but `-q`.
    pub warnings: Vec<String>,
}

impl Resolution {
    /// Logs the notes (`-v`) and the warnings.
    pub fn log(&self) {
        for note in &self.notes {
            tracing::info!("{note}");
        }
        for warning in &self.warnings {
            tracing::warn!("{warning}");
        }
    }
}

/// Resolves the range's start from `explicit`, the `answers` of the sources asked (in
/// the order asked; the chain stops at the first that found something) and the CI's
/// own range, under `mode`. `environment` names the Jira environment in messages.
pub fn resolve(
    mode: Mode,
    explicit: Option<Explicit>,
    environment: &str,
    answers: &[(Source, Answer)],
    ci: Option<CiBase>,
) -> Resolution {
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    if let Some(explicit) = explicit {
        if mode != Mode::Off {
            notes.push("the last deployment was not looked up: the range was given explicitly".to_owned());
        }
        let (from_source, start, detail) = match explicit {
            Explicit::Since(rev) => (
                FromSource::Since,
                Start::Since(rev.clone()),
                format!("--since {rev}"),
            ),
            Explicit::SinceTag(glob) => (
                FromSource::SinceTag,
                Start::SinceTag(glob.clone()),
                format!("--since-tag {glob}"),
            ),
        };
        return Resolution {
            from_source,
            start,
            detail: Some(detail),
            notes,
            warnings,
        };
    }
    match mode {
        Mode::Off => notes.push("the last deployment was not looked up: --since-deployment off".to_owned()),
        Mode::Auto => {}
        _ => {
            for source in Source::ALL.iter().filter(|s| !Source::asked(mode).contains(s)) {
                notes.push(format!("{source}: not asked (--since-deployment {})", name(mode)));
            }
        }
    }
    let mut remedies: Vec<&str> = Vec::new();
    let mut none_yet = false;
    for (source, answer) in answers {
        match answer {
            Answer::Found(deployed) => {
                return Resolution {
                    from_source: source.from_source(),
                    start: Start::Deployed(deployed.sha.clone()),
                    detail: Some(deployed.detail.clone()),
                    notes,
                    warnings,
                };
            }
            Answer::Missing { why, remedy } => {
                notes.push(format!("{source}: {why}"));
                remedies.extend(remedy.as_deref().filter(|r| !remedies.contains(r)));
            }
            Answer::NoneYet(why) => {
                notes.push(format!("{source}: {why}"));
                none_yet = true;
            }
            Answer::Failed { warning, remedy } => {
                warnings.push(format!("{warning}; trying the next source"));
                remedies.extend(remedy.as_deref().filter(|r| !remedies.contains(r)));
            }
        }
    }
    let failed = answers.iter().any(|(_, a)| matches!(a, Answer::Failed { .. }));
    let (from_source, start, detail, fallback) = match ci {
        Some(ci) => (
            FromSource::Ci,
            Start::Ci(ci.sha),
            Some(ci.detail.clone()),
            format!("the CI's range (from {})", ci.detail),
        ),
        None => (FromSource::Head, Start::Head, None, "HEAD alone".to_owned()),
    };
    if mode != Mode::Off {
        let mut said =
            format!("no previous successful deployment to {environment} was found; the range is {fallback}");
        // A source that keeps the deployments said there is none yet: a first
        // deployment, and the other sources' advice would be beside the point.
        if !remedies.is_empty() && !none_yet {
            said.push_str(": to read every commit since the last deployment, ");
            said.push_str(&remedies.join(", or "));
        }
        let first_deployment = none_yet || (remedies.is_empty() && mode == Mode::Auto);
        if first_deployment && !failed {
            // Nothing to fix. (A source named with --since-deployment that cannot say
            // there is none yet always warns.)
            notes.push(said);
        } else {
            warnings.push(said);
        }
    }
    Resolution {
        from_source,
        start,
        detail,
        notes,
        warnings,
    }
}

fn name(mode: Mode) -> &'static str {
    match mode {
        Mode::Auto => "auto",
        Mode::Github => "github",
        Mode::Gitlab => "gitlab",
        Mode::Tag => "tag",
        Mode::Jenkins => "jenkins",
        Mode::Off => "off",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployed::Deployed;
    use pretty_assertions::assert_eq;

    fn found(sha: &str, detail: &str) -> Answer {
        Answer::Found(Deployed {
            sha: sha.into(),
            detail: detail.into(),
        })
    }

    fn missing(why: &str, remedy: Option<&str>) -> Answer {
        Answer::Missing {
            why: why.into(),
            remedy: remedy.map(Into::into),
        }
    }

    fn ci() -> Option<CiBase> {
        Some(CiBase {
            sha: "c".repeat(40),
            detail: "the push's previous commit".into(),
        })
    }

    #[test]
    fn explicit_always_wins() {
        let r = resolve(
            Mode::Auto,
            Some(Explicit::Since("v1.2".into())),
            "prod",
            &[],
            ci(),
        );
        assert_eq!(r.from_source, FromSource::Since);
        assert_eq!(r.start, Start::Since("v1.2".into()));
        assert_eq!(r.detail.as_deref(), Some("--since v1.2"));
        assert!(r.warnings.is_empty());
        let r = resolve(
            Mode::Off,
            Some(Explicit::SinceTag("v*".into())),
            "prod",
            &[],
            None,
        );
        assert_eq!(
            (r.from_source, r.start),
            (FromSource::SinceTag, Start::SinceTag("v*".into()))
        );
        assert!(r.notes.is_empty());
    }

    #[test]
    fn the_first_source_that_found_wins_and_earlier_ones_are_explained() {
        let answers = [
            (
                Source::Github,
                missing("GITHUB_TOKEN is not set", Some("pass GITHUB_TOKEN")),
            ),
            (
                Source::Gitlab,
                Answer::Failed {
                    warning: "GitLab refused".into(),
                    remedy: None,
                },
            ),
            (
                Source::Tag,
                found(&"a".repeat(40), "tag jira-send/deployed/prod, aaaaaaa"),
            ),
        ];
        let r = resolve(Mode::Auto, None, "prod", &answers, ci());
        assert_eq!(r.from_source, FromSource::Tag);
        assert_eq!(r.start, Start::Deployed("a".repeat(40)));
        assert_eq!(r.detail.as_deref(), Some("tag jira-send/deployed/prod, aaaaaaa"));
        assert_eq!(r.notes, ["GitHub deployments: GITHUB_TOKEN is not set"]);
        assert_eq!(r.warnings, ["GitLab refused; trying the next source"]);
    }

    #[test]
    fn without_any_source_the_ci_range_comes_with_one_warning_saying_what_to_set() {
        let answers = [
            (
                Source::Github,
                missing(
                    "GITHUB_TOKEN is not set",
                    Some("pass GITHUB_TOKEN and grant `deployments: read`"),
                ),
            ),
            (Source::Gitlab, missing("not GitLab CI", None)),
            (Source::Tag, missing("no tag", Some("add --record-deployment"))),
            (Source::Jenkins, missing("not Jenkins", None)),
        ];
        let r = resolve(Mode::Auto, None, "Production EU", &answers, ci());
        assert_eq!(r.from_source, FromSource::Ci);
        assert_eq!(r.start, Start::Ci("c".repeat(40)));
        assert_eq!(r.detail.as_deref(), Some("the push's previous commit"));
        assert_eq!(
            r.warnings,
            [
                "no previous successful deployment to Production EU was found; the range is the CI's range \
              (from the push's previous commit): to read every commit since the last deployment, pass \
              GITHUB_TOKEN and grant `deployments: read`, or add --record-deployment"
            ]
        );
        assert_eq!(r.notes.len(), 4);
        let r = resolve(Mode::Auto, None, "Production EU", &answers, None);
        assert_eq!(
            (r.from_source, r.start, r.detail),
            (FromSource::Head, Start::Head, None)
        );
        assert!(r.warnings[0].contains("the range is HEAD alone"));
    }

    #[test]
    fn a_first_deployment_is_a_note_not_a_warning_unless_the_source_was_named() {
        let answers = [(Source::Tag, missing("no tag jira-send/deployed/prod", None))];
        let r = resolve(Mode::Auto, None, "prod", &answers, None);
        assert!(r.warnings.is_empty());
        assert!(
            r.notes
                .iter()
                .any(|n| n.starts_with("no previous successful deployment"))
        );
        let r = resolve(Mode::Tag, None, "prod", &answers, None);
        assert_eq!(
            r.warnings,
            ["no previous successful deployment to prod was found; the range is HEAD alone"]
        );
        assert!(
            r.notes
                .contains(&"GitHub deployments: not asked (--since-deployment tag)".to_owned())
        );
    }

    #[test]
    fn a_source_that_keeps_the_deployments_and_has_none_yet_is_a_first_deployment() {
        let answers = [
            (
                Source::Gitlab,
                Answer::NoneYet("GitLab has no earlier successful deployment".into()),
            ),
            (Source::Tag, missing("no tag", Some("add --record-deployment"))),
            (Source::Jenkins, missing("not Jenkins", None)),
        ];
        for mode in [Mode::Auto, Mode::Gitlab] {
            let r = resolve(mode, None, "prod", &answers, ci());
            assert!(r.warnings.is_empty(), "{mode:?}: {r:?}");
            let said = r.notes.last().unwrap();
            assert!(
                said.starts_with("no previous successful deployment to prod was found")
                    && !said.contains("--record-deployment"),
                "{said}"
            );
        }
        // A failure beside it is still a failure.
        let failed = [
            (
                Source::Github,
                Answer::Failed {
                    warning: "GitHub refused".into(),
                    remedy: None,
                },
            ),
            answers[0].clone(),
        ];
        assert_eq!(resolve(Mode::Auto, None, "prod", &failed, None).warnings.len(), 2);
    }

    #[test]
    fn a_failed_lookup_always_warns() {
        let answers = [(
            Source::Github,
            Answer::Failed {
                warning: "GitHub rate limit: 429".into(),
                remedy: None,
            },
        )];
        let r = resolve(Mode::Github, None, "prod", &answers, None);
        assert_eq!(r.from_source, FromSource::Head);
        assert_eq!(r.warnings.len(), 2);
        assert!(r.warnings[1].ends_with("the range is HEAD alone"));
    }

    #[test]
    fn off_looks_nothing_up_and_warns_about_nothing() {
        let r = resolve(Mode::Off, None, "prod", &[], ci());
        assert_eq!(r.from_source, FromSource::Ci);
        assert!(r.warnings.is_empty());
        assert_eq!(
            r.notes,
            ["the last deployment was not looked up: --since-deployment off"]
        );
    }

    #[test]
    fn each_mode_asks_only_its_source() {
        assert_eq!(Source::asked(Mode::Auto), Source::ALL);
        assert_eq!(Source::asked(Mode::Jenkins), [Source::Jenkins]);
        assert!(Source::asked(Mode::Off).is_empty());
        for name in Mode::NAMES {
            assert_eq!(super::name(name.parse().unwrap()), name);
        }
        assert!(
            "nope"
                .parse::<Mode>()
                .unwrap_err()
                .contains("auto, github, gitlab, tag, jenkins, off")
        );
    }
}
