//! One module per command; this one dispatches and holds what the sending commands
//! share.

mod build;
mod delete;
mod deployment;
mod devinfo;
mod doctor;
mod env;
mod flag;
mod flush;
mod gate;
mod keys;
mod send;
mod validate;

use serde_json::Value;

use crate::api::{Api, Call};
use crate::cli::{Cli, Command};
use crate::clock::Clock;
use crate::env::Env;
use crate::error::{Error, Exit, Result};
use crate::keys::KeySet;
use crate::report::outbox::Listing;
use crate::report::{self, Report};
use crate::schema;
use crate::settings::{Output, Settings};

/// Runs the command `cli` names; prints its results; returns the exit code.
pub fn run(cli: &Cli, env: &Env, clock: &dyn Clock) -> Exit {
    let name = match &cli.command {
        Command::Build(_) => "build",
        Command::Deployment(_) => "deployment",
        Command::Devinfo(_) => "devinfo",
        Command::Flag(_) => "flag",
        Command::Gate(_) => "gate",
        Command::Delete(_) => "delete",
        Command::Flush(_) => "flush",
        Command::Doctor(_) => "doctor",
        Command::Completions { .. } => "completions",
        Command::Keys(_) => "keys",
        Command::Validate(_) => "validate",
        Command::Send(_) => "send",
        Command::Env(_) => "env",
    };
    let result = Settings::resolve(&cli.global.options(), env).and_then(|settings| match &cli.command {
        Command::Build(args) => build::run(args, &settings, env, clock),
        Command::Deployment(args) => deployment::run(args, &settings, env, clock),
        Command::Devinfo(args) => devinfo::run(args, &settings, env, clock),
        Command::Flag(args) => flag::run(args, &settings, env, clock),
        Command::Gate(args) => gate::run(args, &settings, env, clock),
        Command::Delete(args) => delete::run(args, &settings, env, clock),
        Command::Flush(args) => flush::run(args, &settings, env, clock),
        Command::Doctor(args) => doctor::run(args, &settings, env, clock),
        Command::Completions { shell } => Ok(completions(*shell)),
        Command::Keys(args) => keys::run(args, &settings, env),
        Command::Validate(args) => validate::run(args, &settings),
        Command::Send(args) => send::run(args, &settings, env, clock),
        Command::Env(_) => env::run(&settings, env),
    });
    let exit = result.unwrap_or_else(|error| {
        report::print_error(&error);
        if cli.global.output == Output::Json {
            let listing = match &cli.command {
                Command::Flush(args) => listing(args.list, args.drop_all || !args.drop.is_empty()),
                _ => None,
            };
            let failed = Failed {
                command: Some(name),
                dry_run: cli.global.dry_run,
                listing,
            };
            report::print_json(&failed.json(&error.to_string(), error.exit()));
        }
        error.exit()
    });
    // Commands with a report have written every output; the others the exit code.
    crate::report::github::publish_exit(env, exit);
    exit
}

/// Handles a command line clap could not parse (or `--help`/`--version`): prints
/// clap's message (naming the variable that set a refused value), and under
/// `--output json` also the JSON object the command prints whatever the outcome, with
/// clap's whole message as its `error`. Writes the step outputs, like any other run.
pub fn refused(mut error: clap::Error, args: &[String], env: &Env) -> Exit {
    let wanted = crate::cli::lenient_parse(args);
    crate::cli::name_variables(&mut error, &wanted.origins, env);
    let _ = error.print();
    if !error.use_stderr() {
        return Exit::Success;
    }
    if wanted.output == Some(Output::Json) {
        let message = error.render().to_string();
        let message = message.trim().trim_start_matches("error: ");
        let given = |id: &str| wanted.given.iter().any(|g| g == id);
        let failed = Failed {
            command: wanted.command.as_deref(),
            dry_run: wanted.dry_run,
            listing: listing(given("list"), given("drop") || given("drop_all")),
        };
        report::print_json(&failed.json(message, Exit::Usage));
    }
    report::github::publish_exit(env, Exit::Usage);
    Exit::Usage
}

/// A run that failed before its command could report (a usage error, a bad setting):
/// what the command's JSON would have looked like.
struct Failed<'a> {
    /// The command named, if any.
    command: Option<&'a str>,
    dry_run: bool,
    /// What `flush` was asked to list instead of delivering.
    listing: Option<Listing>,
}

impl Failed<'_> {
    /// The JSON object the command prints, with `error` and `exitCode`: the shape of
    /// the command's own output (each field empty), so that a script reads one shape
    /// per command whatever happens.
    fn json(&self, error: &str, exit: Exit) -> Value {
        match (self.command, self.listing) {
            (Some("keys"), _) => keys::json(&KeySet::default(), None, Some(error), exit),
            (Some("doctor"), _) => report::doctor::json(&[], Some(error), exit),
            (Some("env"), _) => report::env::json(None, self.dry_run, Some(error), exit),
            // A dry run of gate plans its request like the sending commands.
            (Some("gate"), _) if !self.dry_run => report::gate::Gate::default().json(None, Some(error), exit),
            (Some("flush"), Some(listing)) => {
                report::outbox::listing_json(listing, self.dry_run, &[], Some(error), exit)
            }
            (command, _) => {
                let keys = KeySet::default();
                let mut report = Report::new("", self.dry_run, &keys);
                report.error = Some(error.to_owned());
                report.exit_code = exit;
                if command == Some("deployment") {
                    // Nothing was read: deployment's `range` is null, as with --issue-key.
                    report.range = Some(None);
                }
                let mut json = if command == Some("flush") {
                    report::outbox::flushed_json(&report, &[])
                } else {
                    serde_json::to_value(&report).expect("reports serialize")
                };
                json["command"] = serde_json::json!(command);
                json
            }
        }
    }
}

/// What `flush` lists instead of delivering: `--list`, or what `--drop`/`--drop-all`
/// dropped.
fn listing(list: bool, drop: bool) -> Option<Listing> {
    if list {
        Some(Listing::Entries)
    } else if drop {
        Some(Listing::Dropped)
    } else {
        None
    }
}

/// Prints the completion script for `shell`.
fn completions(shell: clap_complete::Shell) -> Exit {
    use clap::CommandFactory as _;
    const BIN: &str = "jira-send";
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete's bash script names the state of `jira-send build` two ways:
        // the loop that reads the words writes `jira__send__subcmd__build`, the `case`
        // that completes it expects `jira__subcmd__send__subcmd__build` (the hyphen of
        // the binary's name taken for a subcommand separator), so nothing below the top
        // level completed (clap-rs/clap#6421). Spell the labels the way the loop does;
        // once clap_complete agrees with itself, this replaces nothing.
        script = script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"));
    }
    report::print_text(&script);
    Exit::Success
}

/// Validates request bodies a command built, then sends them (or plans them in a dry
/// run), and prints the report.
fn validate_and_send(
    report: Report<'_>,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    api: Api,
    bodies: Vec<Value>,
) -> Result<Exit> {
    let report = validated_and_sent(report, settings, env, clock, api, bodies)?;
    Ok(finish(report, settings, env))
}

/// Validates request bodies a command built and sends them (or plans them in a dry
/// run); the report, not yet finished, for a command that acts on what Jira answered.
fn validated_and_sent<'k>(
    mut report: Report<'k>,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    api: Api,
    bodies: Vec<Value>,
) -> Result<Report<'k>> {
    for body in &bodies {
        schema::validate(api, body)?;
    }
    report.api = Some(api);
    let calls: Vec<Call> = bodies.into_iter().map(|body| Call::bulk(api, body)).collect();
    calls_made(report, settings, env, clock, calls)
}

/// Makes `calls` at every site (under `--dry-run`, only shows them), then finishes the
/// report.
fn make_calls(
    report: Report<'_>,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    calls: Vec<Call>,
) -> Result<Exit> {
    let report = calls_made(report, settings, env, clock, calls)?;
    Ok(finish(report, settings, env))
}

/// Makes `calls` at every site (under `--dry-run`, only shows them); the report, not
/// yet finished.
fn calls_made<'k>(
    mut report: Report<'k>,
    settings: &Settings,
    env: &Env,
    clock: &dyn Clock,
    calls: Vec<Call>,
) -> Result<Report<'k>> {
    if settings.dry_run {
        report.planned(crate::send::plan(settings, env, calls));
    } else {
        report.delivered(crate::send::deliver(settings, env, clock, calls)?);
    }
    Ok(report)
}

/// Applies `--fail-on`, prints the report, and returns its exit code.
fn finish(report: Report<'_>, settings: &Settings, env: &Env) -> Exit {
    let report = report.finish(settings.fail_on);
    report.print(settings.output);
    crate::report::github::publish(env, &report);
    report.exit_code
}

/// Finishes the report of a run that found no keys: nothing to send, success.
fn nothing_to_send(mut report: Report<'_>, settings: &Settings, env: &Env, notice: String) -> Result<Exit> {
    tracing::info!("{notice}");
    report.notice = Some(notice);
    Ok(finish(report, settings, env))
}

/// Turns a missing value into a usage error.
fn required<T>(value: Option<T>, message: impl FnOnce() -> String) -> Result<T> {
    value.ok_or_else(|| Error::usage(message()))
}
