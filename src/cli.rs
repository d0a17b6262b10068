//! The command line, as clap sees it: flags, their variables and their help.
//!
//! Nothing here does I/O or decides anything; `settings` turns these raw values into
//! validated settings.
//!
//! The doc comments below are the `--help` text, written for a terminal, not for
//! rustdoc: `JIRA_CLIENT_ID_<HOST>` is a variable name, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::env::vars::*;
use crate::payload::deployment::EnvironmentType;
use crate::payload::{BuildState, DeploymentState};
use crate::settings::{FailOn, Output};

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
    /// Print the issue keys found, and where each came from; no network.
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

    /// Overall deadline of one invocation, retries included (`90s`, `2m`).
    #[arg(long, value_name = "DURATION", env = JIRA_SEND_TIMEOUT, global = true,
          value_parser = parse_duration, default_value = "2m")]
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
}

/// Where issue keys come from.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Issue keys")]
pub struct KeyArgs {
    /// Use exactly these keys; no extraction (repeat or comma-separate).
    #[arg(long = "issue-key", value_name = "KEY", env = JIRA_ISSUE_KEYS, value_delimiter = ',')]
    pub issue_keys: Vec<String>,

    /// Read keys from this branch name instead of the detected one.
    #[arg(long, value_name = "NAME", env = JIRA_SEND_BRANCH)]
    pub branch: Option<String>,

    /// Read keys from the messages of the commits in REV..HEAD.
    #[arg(long, value_name = "REV", env = JIRA_SEND_SINCE, conflicts_with = "since_tag")]
    pub since: Option<String>,

    /// Start the range at the newest tag matching GLOB reachable from HEAD~1.
    #[arg(long, value_name = "GLOB", env = JIRA_SEND_SINCE_TAG)]
    pub since_tag: Option<String>,

    /// Read at most this many commits (at least 1).
    #[arg(long, value_name = "N", env = JIRA_SEND_MAX_COMMITS, default_value_t = 1000,
          value_parser = parse_max_commits)]
    pub max_commits: usize,

    /// Accept only keys of these projects (comma-separated).
    #[arg(long, value_name = "KEY,...", env = JIRA_PROJECT_KEYS, value_delimiter = ',')]
    pub projects: Vec<String>,

    /// Also accept lowercase and mixed-case keys (sent uppercased).
    #[arg(long, env = JIRA_SEND_IGNORE_CASE, value_parser = parse_bool,
          num_args = 0, default_missing_value = "true")]
    pub ignore_case: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub keys: KeyArgs,

    /// The build's state [default: from the CI where it tells, else successful].
    #[arg(long, value_enum, env = JIRA_SEND_STATE)]
    pub state: Option<BuildState>,

    /// Groups a sequence of builds; stable across runs [default: from the CI, else the
    /// repository].
    #[arg(long, value_name = "ID", env = JIRA_SEND_PIPELINE_ID)]
    pub pipeline_id: Option<String>,

    /// The build's number within the pipeline [default: the CI's run number; required
    /// outside CI].
    #[arg(long, value_name = "N", env = JIRA_SEND_BUILD_NUMBER)]
    pub build_number: Option<u64>,

    /// Shown in Jira [default: "<pipeline> #<number>"].
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,

    /// A short label, e.g. a version [default: the branch].
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,

    /// A longer description of the build, shown in Jira.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// Link to the build [default: the CI run's page].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Read test counts from JUnit XML reports matching GLOB (repeatable), e.g.
    /// 'target/surefire-reports/*.xml'; --tests-* flags override what they give.
    #[arg(long, value_name = "GLOB", help_heading = "Tests")]
    pub junit: Vec<String>,

    /// How many tests ran [default: passed + failed + skipped].
    #[arg(long, value_name = "N", help_heading = "Tests")]
    pub tests_total: Option<u64>,
    /// How many tests passed [default: total − failed − skipped].
    #[arg(long, value_name = "N", help_heading = "Tests")]
    pub tests_passed: Option<u64>,
    /// How many tests failed [default: 0 when another count is given].
    #[arg(long, value_name = "N", help_heading = "Tests")]
    pub tests_failed: Option<u64>,
    /// How many tests were skipped [default: 0 when another count is given].
    #[arg(long, value_name = "N", help_heading = "Tests")]
    pub tests_skipped: Option<u64>,

    /// Override the update sequence number [default: epoch milliseconds].
    #[arg(long, value_name = "N")]
    pub update_sequence_number: Option<i64>,
}

#[derive(Debug, Args)]
pub struct DeploymentArgs {
    #[command(flatten)]
    pub keys: KeyArgs,

    #[command(flatten)]
    pub key: DeploymentKeyArgs,

    /// The kind of environment, which Jira groups deployments by [default: the CI's
    /// tier, else guessed from the name's words, else unmapped].
    #[arg(long, value_enum, value_name = "TYPE", env = JIRA_SEND_ENVIRONMENT_TYPE)]
    pub environment_type: Option<EnvironmentType>,

    /// The deployment's state [default: from the CI where it tells, else successful].
    #[arg(long, value_enum, env = JIRA_SEND_STATE)]
    pub state: Option<DeploymentState>,

    /// The pipeline's name, shown in Jira [default: the project file's, else the CI's,
    /// else the pipeline id].
    #[arg(long, value_name = "NAME", env = JIRA_SEND_PIPELINE_NAME)]
    pub pipeline_name: Option<String>,

    /// Link to the pipeline [default: the CI's pipeline page, else --url].
    #[arg(long, value_name = "URL")]
    pub pipeline_url: Option<String>,

    /// Link to the deployment [default: the CI run's page].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Shown in Jira [default: "<pipeline> #<number> to <environment>"].
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,

    /// A longer description [default: the branch and commit deployed, and the environment].
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// A short label, e.g. the version deployed.
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,

    /// A JSM / Compass service id or key affected by the deployment (repeatable).
    #[arg(long = "service", value_name = "ID")]
    pub services: Vec<String>,

    /// Ask Jira to gate this deployment (change management); send it as `pending`.
    #[arg(long)]
    pub gate: bool,

    /// How long the deployment took, in seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,

    /// Override the update sequence number [default: epoch milliseconds].
    #[arg(long, value_name = "N")]
    pub update_sequence_number: Option<i64>,
}

#[derive(Debug, Args)]
pub struct DevinfoArgs {
    #[command(flatten)]
    pub keys: KeyArgs,

    /// The repository's id in Jira [default: derived from the remote, e.g.
    /// github.com~acme~app, the same in every clone].
    #[arg(long, value_name = "ID", env = JIRA_SEND_REPOSITORY_ID)]
    pub repository_id: Option<String>,

    /// The repository's name [default: the last part of the remote].
    #[arg(long, value_name = "NAME")]
    pub repository_name: Option<String>,

    /// The repository's web page, for a remote that is not on GitHub, GitLab,
    /// Bitbucket or Azure DevOps [default: from the git remote].
    #[arg(long, value_name = "URL", env = JIRA_SEND_REPOSITORY_URL)]
    pub repository_url: Option<String>,

    /// Ask Jira not to transition issues or run smart commits for this data.
    #[arg(long)]
    pub prevent_transitions: bool,

    /// Override the update sequence id [default: epoch milliseconds].
    #[arg(long, value_name = "N")]
    pub update_sequence_id: Option<i64>,
}

#[derive(Debug, Args)]
pub struct FlagArgs {
    #[command(flatten)]
    pub keys: KeyArgs,

    /// The flag's id in your flag tool, unique per provider.
    #[arg(long, value_name = "ID")]
    pub id: String,

    /// The key used in source code [default: the id].
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,

    /// The flag's name, shown in Jira [default: the key].
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,

    /// Whether the flag is on in the environment.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, value_parser = parse_bool)]
    pub enabled: bool,

    /// The value served when the flag is off.
    #[arg(long, value_name = "VALUE")]
    pub default_value: Option<String>,

    /// The share of users who get the flag, 0–100.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percentage, conflicts_with = "rollout_text")]
    pub rollout_percentage: Option<f64>,

    /// The rollout in words, e.g. "beta testers".
    #[arg(long, value_name = "TEXT")]
    pub rollout_text: Option<String>,

    /// The environment this state is for [required unless the CI names one].
    #[arg(long, value_name = "NAME", env = JIRA_SEND_ENVIRONMENT)]
    pub environment: Option<String>,

    /// The kind of environment [default: the CI's tier, else guessed from the name;
    /// flags have no "unmapped"].
    #[arg(long, value_enum, value_name = "TYPE", env = JIRA_SEND_ENVIRONMENT_TYPE)]
    pub environment_type: Option<EnvironmentType>,

    /// The flag's page in your flag tool [default: the CI run's page].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Override the update sequence id [default: epoch milliseconds].
    #[arg(long, value_name = "N")]
    pub update_sequence_id: Option<i64>,
}

/// Which deployment: the same key the `deployment` command sends.
#[derive(Debug, Args, Clone, Default)]
pub struct DeploymentKeyArgs {
    /// Groups a sequence of deployments; stable across runs [default: the project
    /// file's, else the CI's, else the repository].
    #[arg(long, value_name = "ID", env = JIRA_SEND_PIPELINE_ID)]
    pub pipeline_id: Option<String>,

    /// The environment's name, e.g. "Production EU" [required unless the CI names
    /// one]; the id is derived from it, the same on every run.
    #[arg(long, value_name = "NAME", env = JIRA_SEND_ENVIRONMENT)]
    pub environment: Option<String>,

    /// The environment's id [default: derived from --environment].
    #[arg(long, value_name = "ID", env = JIRA_SEND_ENVIRONMENT_ID)]
    pub environment_id: Option<String>,

    /// The deployment's number [default: the CI's run number; required outside CI].
    #[arg(long, value_name = "N", env = JIRA_SEND_DEPLOYMENT_NUMBER)]
    pub deployment_number: Option<u64>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub deployment: DeploymentKeyArgs,

    /// Poll until the gate is decided (allowed, prevented or expired).
    #[arg(long)]
    pub wait: bool,

    /// Give up waiting after this long (exit 6); 0 asks twice and stops.
    #[arg(long, value_name = "DURATION", value_parser = parse_wait, default_value = "30m")]
    pub wait_timeout: Duration,

    /// How often to ask while waiting.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub poll_interval: Duration,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(subcommand)]
    pub target: DeleteTarget,
}

/// What to delete. Each takes the entity's key, or `--property KEY=VALUE` (repeatable)
/// to delete every entity sent with all those properties.
#[derive(Debug, Subcommand)]
pub enum DeleteTarget {
    /// A build: --pipeline-id and --build-number.
    Build {
        /// The pipeline of the build to delete (as sent: `accepted[].pipelineId`).
        #[arg(
            long,
            value_name = "ID",
            conflicts_with = "properties",
            requires = "build_number"
        )]
        pipeline_id: Option<String>,
        /// The number of the build to delete (as sent: `accepted[].buildNumber`).
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "properties",
            requires = "pipeline_id"
        )]
        build_number: Option<u64>,
        #[command(flatten)]
        by: ByProperty,
    },
    /// A deployment: --pipeline-id, --environment-id and --deployment-number.
    Deployment {
        /// The pipeline of the deployment to delete.
        #[arg(long, value_name = "ID", conflicts_with = "properties", requires_all = ["environment_id", "deployment_number"])]
        pipeline_id: Option<String>,
        /// The environment's id (as sent: e.g. `production-eu` for "Production EU").
        #[arg(
            long,
            value_name = "ID",
            conflicts_with = "properties",
            requires = "pipeline_id"
        )]
        environment_id: Option<String>,
        /// The deployment's number (as sent: `deploymentSequenceNumber`).
        #[arg(
            long,
            value_name = "N",
            conflicts_with = "properties",
            requires = "pipeline_id"
        )]
        deployment_number: Option<u64>,
        #[command(flatten)]
        by: ByProperty,
    },
    /// A repository and all its development information, or one commit, branch or
    /// pull request of it (--entity, --entity-id).
    Devinfo {
        /// The repository's id in Jira (e.g. github.com~acme~app): alone, deletes the
        /// repository and everything sent for it.
        #[arg(long, value_name = "ID", conflicts_with = "properties")]
        repository_id: Option<String>,
        /// Delete only one entity of the repository: its kind.
        #[arg(long, value_enum, requires_all = ["repository_id", "entity_id"])]
        entity: Option<EntityType>,
        /// The entity's id: a commit's full hash, a branch's or pull request's id as sent.
        #[arg(long, value_name = "ID", requires = "entity")]
        entity_id: Option<String>,
        #[command(flatten)]
        by: ByProperty,
    },
    /// A feature flag: --id.
    Flag {
        /// The flag's id, as sent with `flag --id`.
        #[arg(long, value_name = "ID", conflicts_with = "properties")]
        id: Option<String>,
        #[command(flatten)]
        by: ByProperty,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct ByProperty {
    /// Delete every entity sent with this property (repeat: all must match).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

/// A devinfo entity type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum EntityType {
    Commit,
    Branch,
    PullRequest,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The payload file (`-` for stdin): a builds, deployments, devinfo or feature-flags
    /// request body.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Request bodies: builds, deployments, devinfo or feature-flags (`-` for stdin).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {}

#[derive(Debug, Args)]
pub struct FlushArgs {
    /// List what the outbox holds (id, command, site, entities, age, last error), and
    /// deliver nothing.
    #[arg(long, conflicts_with_all = ["drop", "drop_all"])]
    pub list: bool,

    /// Discard the outbox entry ID (as `--list` shows it) without delivering it;
    /// repeatable, or a comma list.
    #[arg(long, value_name = "ID", value_delimiter = ',', conflicts_with = "drop_all")]
    pub drop: Vec<String>,

    /// Discard everything the outbox holds without delivering it.
    #[arg(long)]
    pub drop_all: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The APIs whose permission to check.
    #[arg(long, value_name = "API,...", value_delimiter = ',', value_enum,
          default_values = ["builds", "deployments", "devinfo"])]
    pub apis: Vec<ApiName>,
}

/// An API, as `doctor --apis` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ApiName {
    Builds,
    Deployments,
    Devinfo,
    Featureflags,
}

/// What a command line asks for, read even when it does not parse.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The command named (`build`, `delete`, …).
    pub command: Option<String>,
    pub output: Option<Output>,
    pub dry_run: bool,
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
    let Ok(matches) = lenient(Cli::command()).try_get_matches_from(args) else {
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
    Wanted {
        command: matches.subcommand_name().map(str::to_owned),
        output: value("output").and_then(|o| Output::from_str(&o, true).ok()),
        dry_run: value("dry_run").is_some_and(|d| parse_bool(&d) == Ok(true)),
    }
}

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

/// `KEY=VALUE`, with a key Jira accepts: not empty, no `:`, not starting with `_`.
fn parse_property(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or("expected KEY=VALUE")?;
    if key.is_empty() || key.starts_with('_') || key.contains(':') {
        return Err(format!(
            "{key:?}: a property key is not empty, has no ':' and does not start with '_'"
        ));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// A percentage, 0 to 100.
fn parse_percentage(text: &str) -> Result<f64, String> {
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
fn parse_duration(text: &str) -> Result<Duration, String> {
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

/// How long `gate --wait` waits: a duration, or zero (one more poll, then stop).
fn parse_wait(text: &str) -> Result<Duration, String> {
    match text.trim() {
        "0" | "0s" | "0ms" => Ok(Duration::ZERO),
        text => parse_duration(text),
    }
}

/// A count of commits: a whole number, at least 1.
fn parse_max_commits(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("0 would read no commit at all: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of commits, at least 1".into()),
    }
}

/// A yes/no value, in any of the spellings CI templates use.
fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" | "t" => Ok(true),
        "false" | "0" | "no" | "n" | "off" | "f" => Ok(false),
        _ => Err("expected one of true, false, 1, 0, yes, no, on, off".into()),
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
    fn global_options_go_before_or_after_the_command() {
        let a = Cli::try_parse_from(["jira-send", "--dry-run", "build", "--build-number", "3"]).unwrap();
        let b = Cli::try_parse_from(["jira-send", "build", "--dry-run", "--build-number", "3"]).unwrap();
        assert!(a.global.dry_run && b.global.dry_run);
    }

    #[test]
    fn a_refused_command_line_still_says_what_it_wanted() {
        let wanted = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            assert!(Cli::try_parse_from(&args).is_err(), "{args:?} parses");
            lenient_parse(&args)
        };
        let json = |command: &str, dry_run: bool| Wanted {
            command: Some(command.to_owned()),
            output: Some(Output::Json),
            dry_run,
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
        let text = wanted(&["jira-send", "build", "--state", "nope"]);
        assert_eq!(text.output, Some(Output::Text));
        assert_eq!(wanted(&["jira-send", "--output", "json"]).command, None);
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
