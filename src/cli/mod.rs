//! The command line, as clap sees it: flags, their variables and their help.
//!
//! Nothing here does I/O or decides anything; `settings` turns these raw values into
//! validated settings. Here: the command tree and the global options; `entities`: the
//! commands that send what a run built, and where their issue keys come from;
//! `tools`: the others; `values`: how values are read (domain types included);
//! `lenient`: what a refused command line still says; `origins`: which options their
//! variable set.
//!
//! The doc comments below are the `--help` text, written for a terminal, not for
//! rustdoc: `JIRA_CLIENT_ID_<HOST>` is a variable name, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

mod entities;
mod lenient;
mod origins;
mod tools;
mod values;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::env::vars::*;
use crate::settings::{self, FailOn, Origins, Output};
use values::{parse_bool, parse_duration, parse_timeout};

pub use entities::{
    BuildArgs, DeploymentArgs, DeploymentKeyArgs, DevinfoArgs, FlagArgs, KeyArgs, KeysArgs, RangeArgs,
};
pub use lenient::{Wanted, lenient_parse};
pub use origins::name_variables;
pub use tools::{
    ApiName, ByProperty, DeleteArgs, DeleteTarget, DoctorArgs, EntityType, EnvArgs, FlushArgs, GateArgs,
    SendArgs, ValidateArgs,
};

/// Tell Jira Software Cloud what your pipeline built and deployed.
///
/// jira-send finds the Jira issue keys of a run (branch name, commit messages of the
/// new commits, pull-request title) and sends a build, a deployment, development
/// information or a feature flag to every Jira site configured, authenticated with OAuth 2.0 client credentials created in Jira
/// (Settings → Apps → OAuth credentials).
#[derive(Debug, Parser)]
#[command(name = "jira-send", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 success or nothing to send; 1 Jira rejected something; \
    2 usage or input error (before any network call); 3 credentials refused; 4 Jira unreachable; \
    5 gate prevented or expired; 6 gate still awaiting."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send build information (Builds API).
    Build(BuildArgs),
    /// Send deployment information (Deployments API).
    Deployment(DeploymentArgs),
    /// Send development information: the repository, its commits, branch and pull request.
    Devinfo(DevinfoArgs),
    /// Send a feature flag's state (Feature Flags API).
    Flag(FlagArgs),
    /// Print the issue keys found, and where each came from; never calls Jira
    /// (--environment previews a deployment's range).
    Keys(KeysArgs),
    /// Read a deployment's gating status; --wait polls until it is decided.
    Gate(GateArgs),
    /// Delete data sent earlier: by key, or every entity with given properties.
    Delete(DeleteArgs),
    /// Deliver the reports queued in the outbox because Jira could not be reached.
    Flush(FlushArgs),
    /// Check settings, reachability, credentials, cloud id and permissions.
    Doctor(DoctorArgs),
    /// Print shell completions: `jira-send completions bash > /etc/bash_completion.d/jira-send`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Validate a payload file against the bundled schemas and API limits; no network.
    Validate(ValidateArgs),
    /// Send payload files as they are (any number of entities: they are split into
    /// requests within the API's limits), e.g. to replay or backfill.
    Send(SendArgs),
    /// Show the detected CI system and the resolved settings, secrets masked.
    Env(EnvArgs),
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Jira site(s): `acme.atlassian.net`, `acme`, or a URL. Repeat or comma-separate
    /// for several sites, each with its own credentials (`JIRA_CLIENT_ID_<HOST>`).
    #[arg(long = "site", value_name = "SITE", env = JIRA_SITE, value_delimiter = ',', global = true)]
    pub sites: Vec<String>,

    /// The site's cloud id; skips the `/_edge/tenant_info` lookup (single site only).
    /// Also read from JIRA_CLOUD_ID_<HOST> and JIRA_CLOUD_ID.
    #[arg(long, value_name = "ID", global = true)]
    pub cloud_id: Option<String>,

    /// OAuth 2.0 client id of the Jira "OAuth credentials". Also read from
    /// JIRA_CLIENT_ID_<HOST> and JIRA_CLIENT_ID. The secret is read from
    /// JIRA_CLIENT_SECRET(_<HOST>) or a file, never from the command line.
    #[arg(long, value_name = "ID", global = true)]
    pub client_id: Option<String>,

    /// Read the client secret from this file. Also read from
    /// JIRA_CLIENT_SECRET_FILE_<HOST> and JIRA_CLIENT_SECRET_FILE.
    #[arg(long, value_name = "PATH", global = true)]
    pub client_secret_file: Option<PathBuf>,

    /// Base URL of the Jira APIs.
    #[arg(long, value_name = "URL", env = JIRA_SEND_API_URL, global = true,
          default_value = "https://api.atlassian.com")]
    pub api_url: String,

    /// The OAuth token endpoint.
    #[arg(long, value_name = "URL", env = JIRA_SEND_TOKEN_URL, global = true,
          default_value = "https://api.atlassian.com/oauth/token")]
    pub token_url: String,

    /// Where the token and cloud-id caches live [default: the user's cache directory +
    /// /jira-send].
    #[arg(long, value_name = "DIR", env = JIRA_SEND_CACHE_DIR, global = true)]
    pub cache_dir: Option<PathBuf>,

    /// Where undeliverable reports are kept [default: {cache-dir}/outbox].
    #[arg(long, value_name = "DIR", env = JIRA_SEND_OUTBOX_DIR, global = true)]
    pub outbox_dir: Option<PathBuf>,

    /// Build, validate and print the requests; no network and no credentials needed.
    #[arg(long, env = JIRA_SEND_DRY_RUN, global = true, value_parser = parse_bool,
          num_args = 0, default_missing_value = "true")]
    pub dry_run: bool,

    /// Output format of the results on stdout (logs go to stderr).
    #[arg(long, value_enum, env = JIRA_SEND_OUTPUT, global = true, default_value_t = Output::Text)]
    pub output: Output,

    /// Which outcomes fail the step (see the exit codes) [default: the project file's
    /// `fail-on`, else rejected].
    #[arg(long, value_enum, env = JIRA_SEND_FAIL_ON, global = true)]
    pub fail_on: Option<FailOn>,

    /// Overall deadline of one invocation, retries included: at least 1s (`90s`, `2m`;
    /// a bare number is seconds).
    #[arg(long, value_name = "DURATION", env = JIRA_SEND_TIMEOUT, global = true,
          value_parser = parse_timeout, default_value = "2m")]
    pub timeout: Duration,

    /// A PEM file of extra certificate authorities to trust (a private CA, a TLS-inspecting
    /// proxy), in addition to the operating system's.
    #[arg(long, value_name = "PATH", env = JIRA_SEND_CA_FILE, global = true)]
    pub ca_file: Option<PathBuf>,

    /// Deadline of one HTTP request; a slower answer is retried.
    #[arg(long, value_name = "DURATION", env = JIRA_SEND_REQUEST_TIMEOUT, global = true,
          value_parser = parse_duration, default_value = "30s")]
    pub request_timeout: Duration,

    /// The first retry's delay ceiling; later ones double, up to 30s, with full jitter.
    #[arg(long, value_name = "DURATION", env = JIRA_SEND_RETRY_DELAY, global = true,
          value_parser = parse_duration, default_value = "500ms", hide = true)]
    pub retry_delay: Duration,

    /// Do not first deliver the reports queued in the outbox for the same site.
    #[arg(long, env = JIRA_SEND_NO_FLUSH, global = true, value_parser = parse_bool,
          num_args = 0, default_missing_value = "true")]
    pub no_flush: bool,

    /// The git repository [default: discovered from the working directory].
    #[arg(long, value_name = "PATH", env = JIRA_SEND_REPO, global = true)]
    pub repo: Option<PathBuf>,

    /// More logging on stderr (-v info, -vv debug, -vvv trace); JIRA_SEND_LOG takes a
    /// full filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// The options set by their variable (see [`parse`]).
    #[arg(skip)]
    pub origins: Origins,
}

/// Parses a command line (`args[0]` is the program), noting which options their
/// variable set.
pub fn parse(args: &[String]) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let mut command = Cli::command();
    // Parsing builds the subcommands it enters (global options propagated into them),
    // which is what `origins` reads: no copy of the whole tree, no building of the
    // subcommands not used (a measurable share of a 5 ms step).
    let mut matches = command.try_get_matches_from_mut(args)?;
    let origins = origins::of(&command, &matches);
    let mut cli = Cli::from_arg_matches_mut(&mut matches)?;
    cli.global.origins = origins;
    Ok(cli)
}

impl GlobalArgs {
    /// The options as settings take them.
    pub fn options(&self) -> settings::Options {
        settings::Options {
            sites: self.sites.clone(),
            cloud_id: self.cloud_id.clone(),
            client_id: self.client_id.clone(),
            client_secret_file: self.client_secret_file.clone(),
            api_url: self.api_url.clone(),
            token_url: self.token_url.clone(),
            cache_dir: self.cache_dir.clone(),
            outbox_dir: self.outbox_dir.clone(),
            dry_run: self.dry_run,
            output: self.output,
            fail_on: self.fail_on,
            timeout: self.timeout,
            request_timeout: self.request_timeout,
            retry_delay: self.retry_delay,
            ca_file: self.ca_file.clone(),
            no_flush: self.no_flush,
            repo: self.repo.clone(),
            origins: self.origins.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every option, positional argument and subcommand explains itself in `--help`:
    /// help text that is more than a bracketed default.
    #[test]
    fn every_option_and_subcommand_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                if help.trim().is_empty() || help.trim_start().starts_with('[') {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                let name = sub.get_name();
                if name == "help" {
                    continue;
                }
                let path = format!("{path} {name}");
                if sub
                    .get_about()
                    .is_none_or(|about| about.to_string().trim().is_empty())
                {
                    missing.push(path.clone());
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "jira-send", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        let a = Cli::try_parse_from(["jira-send", "--dry-run", "build", "--build-number", "3"]).unwrap();
        let b = Cli::try_parse_from(["jira-send", "build", "--dry-run", "--build-number", "3"]).unwrap();
        assert!(a.global.dry_run && b.global.dry_run);
    }
}
