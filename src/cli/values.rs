//! How the command line reads values: durations, counts, yes/no, properties,
//! percentages, and the domain types' spellings (with their help).

use std::time::Duration;

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::deployed::Mode;
use crate::payload::deployment::EnvironmentType;
use crate::payload::{BuildState, DeploymentState};
use crate::settings::{FailOn, Output};

/// Lets clap read a domain type: the values the command line accepts for it, each with
/// its help. The type itself knows nothing of clap; how the command line spells its
/// values, and explains them, is written here.
macro_rules! value_enum {
    ($type:ident { $($variant:ident => $name:literal $(: $help:literal)?,)* }) => {
        impl ValueEnum for $type {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($type::$variant),*]
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $($type::$variant => PossibleValue::new($name)$(.help($help))?,)*
                })
            }
        }
    };
}

value_enum!(Output {
    Text => "text",
    Json => "json",
});

value_enum!(FailOn {
    Never => "never": "Never fail: rejections, refused credentials and delivery failures exit 0 with a warning",
    Error => "error": "Fail on errors (credentials, delivery), not on rejected entities",
    Rejected => "rejected": "Also fail when Jira rejects an entity",
    UnknownKeys => "unknown-keys": "Also fail when Jira reports issue keys it does not know",
});

value_enum!(BuildState {
    Pending => "pending",
    InProgress => "in_progress",
    Successful => "successful",
    Failed => "failed",
    Cancelled => "cancelled",
    Unknown => "unknown",
});

value_enum!(DeploymentState {
    Pending => "pending",
    InProgress => "in_progress",
    Successful => "successful",
    Failed => "failed",
    Cancelled => "cancelled",
    RolledBack => "rolled_back",
    Unknown => "unknown",
});

value_enum!(EnvironmentType {
    Unmapped => "unmapped",
    Development => "development",
    Testing => "testing",
    Staging => "staging",
    Production => "production",
});

value_enum!(Mode {
    Auto => "auto": "Every source below, in this order, then the CI's range",
    Github => "github": "GitHub's deployments API only (GITHUB_TOKEN)",
    Gitlab => "gitlab": "GitLab's deployments API only (CI_JOB_TOKEN)",
    Tag => "tag": "The tag jira-send/deployed/<environment-id> only",
    Jenkins => "jenkins": "Jenkins' GIT_PREVIOUS_SUCCESSFUL_COMMIT only",
    Off => "off": "No lookup: the range of a build",
});

/// `KEY=VALUE`, with a key Jira accepts: not empty, no `:`, not starting with `_`.
pub(super) fn parse_property(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or("expected KEY=VALUE")?;
    if key.is_empty() || key.starts_with('_') || key.contains(':') {
        return Err(format!(
            "{key:?}: a property key is not empty, has no ':' and does not start with '_'"
        ));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// A percentage, 0 to 100.
pub(super) fn parse_percentage(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err("expected a number from 0 to 100".into()),
    }
}

/// The longest duration an option takes. Deadlines are added to the current time;
/// a week is longer than any CI step or change approval needs, and far from where
/// that addition could overflow.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// `90s`, `2m`, `1h 30m`, or a plain number of seconds: more than zero, at most a week.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text).map_err(|e| format!("{e} (try 90s or 2m)"))?,
    };
    if duration.is_zero() {
        return Err("a duration of zero would give up before starting (try 90s or 2m)".into());
    }
    if duration > LONGEST {
        return Err("longer than the longest duration accepted, 7 days (try 90s or 2m)".into());
    }
    Ok(duration)
}

/// The deadline of a whole invocation: a duration of at least a second. Less leaves no
/// time for a token and a request, so the report could only go to the outbox.
pub(super) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration < Duration::from_secs(1) {
        return Err(format!(
            "{} leaves no time to reach Jira: give at least 1s (a bare number is seconds: try 90 or 2m)",
            humantime::format_duration(duration)
        ));
    }
    Ok(duration)
}

/// How long `gate --wait` waits: a duration, or zero (one more poll, then stop).
pub(super) fn parse_wait(text: &str) -> Result<Duration, String> {
    match text.trim() {
        "0" | "0s" | "0ms" => Ok(Duration::ZERO),
        text => parse_duration(text),
    }
}

/// A count of commits: a whole number, at least 1.
pub(super) fn parse_max_commits(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("0 would read no commit at all: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of commits, at least 1".into()),
    }
}

/// A yes/no value, in any of the spellings CI templates use.
pub(super) fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" | "t" => Ok(true),
        "false" | "0" | "no" | "n" | "off" | "f" => Ok(false),
        _ => Err("expected one of true, false, 1, 0, yes, no, on, off".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn durations_are_positive_and_bounded() {
        for text in [
            "0",
            "0s",
            "0ms",
            "18446744073709551615s",
            "18446744073709551615",
            "8d",
        ] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
        assert_eq!(parse_duration("7d"), Ok(LONGEST));
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_wait("0s"), Ok(Duration::ZERO));
        assert!(parse_timeout("999ms").unwrap_err().contains("at least 1s"));
        assert_eq!(parse_timeout("1"), Ok(Duration::from_secs(1)));
        assert!(parse_wait("8d").is_err());
    }

    #[test]
    fn yes_no_values_name_every_spelling() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("off"), Ok(false));
        let error = parse_bool("maybe").unwrap_err();
        assert!(error.contains("true, false, 1, 0, yes, no, on, off"), "{error}");
    }

    #[test]
    fn states_use_the_api_spelling() {
        let cli = Cli::try_parse_from(["jira-send", "build", "--state", "in_progress"]).unwrap();
        let Command::Build(args) = cli.command else {
            panic!()
        };
        assert_eq!(args.state, Some(BuildState::InProgress));
        assert!(Cli::try_parse_from(["jira-send", "build", "--state", "rolled_back"]).is_err());
        assert!(Cli::try_parse_from(["jira-send", "deployment", "--state", "rolled_back"]).is_ok());
    }
}
