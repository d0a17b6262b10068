//! What a command line clap refused still says: the command and the output format
//! asked for, so that the usage error can be reported in that format.

use clap::ValueEnum as _;
use clap::parser::ValueSource;

use super::Cli;
use super::values::parse_bool;
use crate::settings::{Origins, Output};

/// What a command line asks for, read even when it does not parse.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The command named (`build`, `delete`, …).
    pub command: Option<String>,
    pub output: Option<Output>,
    pub dry_run: bool,
    /// The options given to the command (by their ids: `drop_all`), on the command line
    /// or by a variable: some change what the command reports (`flush --list`).
    pub given: Vec<String>,
    /// The options a variable set, for the message to name it.
    pub origins: Origins,
}

/// A second, lenient parse of a command line clap refused, so that a usage error can
/// still be reported in the format asked for: the same command tree, with every value
/// taken as plain text and errors ignored. clap stops only at an unknown option or a
/// missing value; what came before it (and the variables) still counts.
pub fn lenient_parse(args: &[String]) -> Wanted {
    fn lenient(command: clap::Command) -> clap::Command {
        let mut command = command.ignore_errors(true).mut_args(|arg| {
            if arg.get_action().takes_values() {
                arg.value_parser(clap::builder::ValueParser::string())
            } else {
                arg
            }
        });
        for sub in command.get_subcommands_mut() {
            *sub = lenient(std::mem::take(sub));
        }
        command
    }
    use clap::CommandFactory as _;
    let mut command = lenient(Cli::command());
    command.build();
    let Ok(matches) = command.clone().try_get_matches_from(args) else {
        return Wanted::default();
    };
    // Global options land in the subcommand's matches when given after it.
    // Read raw: the copies clap propagates keep their typed parsers.
    let raw = |m: &clap::ArgMatches, id: &str| {
        let value = m.try_get_raw(id).ok()??.next()?;
        Some(value.to_string_lossy().into_owned())
    };
    let value = |id: &str| {
        let sub = matches.subcommand().and_then(|(_, sub)| raw(sub, id));
        sub.or_else(|| raw(&matches, id))
    };
    let given = matches.subcommand().map_or_else(Vec::new, |(_, sub)| {
        sub.ids()
            .map(clap::Id::as_str)
            .filter(|id| {
                matches!(
                    sub.value_source(id),
                    Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                )
            })
            .map(str::to_owned)
            .collect()
    });
    Wanted {
        command: matches.subcommand_name().map(str::to_owned),
        output: value("output").and_then(|o| Output::from_str(&o, true).ok()),
        dry_run: value("dry_run").is_some_and(|d| parse_bool(&d) == Ok(true)),
        given,
        origins: super::origins::of(&command, &matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn a_refused_command_line_still_says_what_it_wanted() {
        let wanted = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            assert!(Cli::try_parse_from(&args).is_err(), "{args:?} parses");
            lenient_parse(&args)
        };
        let given = |args: &[&str]| wanted(args).given;
        let wanted = |args: &[&str]| Wanted {
            given: Vec::new(),
            origins: Origins::default(),
            ..wanted(args)
        };
        let json = |command: &str, dry_run: bool| Wanted {
            command: Some(command.to_owned()),
            output: Some(Output::Json),
            dry_run,
            given: Vec::new(),
            origins: Origins::default(),
        };
        assert_eq!(
            wanted(&["jira-send", "build", "--state", "nope", "--output", "json"]),
            json("build", false)
        );
        assert_eq!(
            wanted(&[
                "jira-send",
                "--output=json",
                "--dry-run",
                "keys",
                "--max-commits",
                "0"
            ]),
            json("keys", true)
        );
        assert_eq!(
            wanted(&[
                "jira-send",
                "--output",
                "json",
                "delete",
                "build",
                "--pipeline-id",
                "x"
            ]),
            json("delete", false)
        );
        assert_eq!(
            wanted(&[
                "jira-send",
                "build",
                "--dry-run",
                "--timeout",
                "0",
                "--output",
                "json"
            ]),
            json("build", true)
        );
        let flush = given(&["jira-send", "flush", "--list", "--drop-all", "--output", "json"]);
        let has = |id: &str| flush.iter().any(|g| g == id);
        assert!(has("list") && has("drop_all") && !has("drop"), "{flush:?}");
        let flush = given(&["jira-send", "flush", "--drop", "x", "--list"]);
        let has = |id: &str| flush.iter().any(|g| g == id);
        assert!(has("list") && has("drop") && !has("drop_all"), "{flush:?}");
        let text = wanted(&["jira-send", "build", "--state", "nope"]);
        assert_eq!(text.output, Some(Output::Text));
        assert_eq!(wanted(&["jira-send", "--output", "json"]).command, None);
    }
}
