//! The commands that send what a run built (build, deployment, devinfo, flag), and
//! where their issue keys come from (also `keys`).

use clap::Args;

use super::values::{parse_bool, parse_max_commits, parse_percentage};
use crate::deployed::Mode;
use crate::env::vars::*;
use crate::keys;
use crate::payload::deployment::EnvironmentType;
use crate::payload::{BuildState, DeploymentState};

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

impl KeyArgs {
    /// The options as key collection takes them.
    pub fn options(&self) -> keys::Options {
        keys::Options {
            issue_keys: self.issue_keys.clone(),
            branch: self.branch.clone(),
            since: self.since.clone(),
            since_tag: self.since_tag.clone(),
            max_commits: self.max_commits,
            projects: self.projects.clone(),
            ignore_case: self.ignore_case,
        }
    }
}

/// Where a deployment's range starts: its environment's last successful deployment.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Deployment range")]
pub struct RangeArgs {
    /// Where to find the environment's last successful deployment, whose commit starts
    /// the range: `auto` asks GitHub's deployments API, GitLab's, the marker tag and
    /// Jenkins in turn, and falls back to the CI's range; --since and --since-tag
    /// always win [default: auto].
    #[arg(long, value_enum, value_name = "SOURCE", env = JIRA_SEND_SINCE_DEPLOYMENT)]
    pub since_deployment: Option<Mode>,

    /// The GitHub environment whose deployments are read, when GitHub names it
    /// otherwise [default: the --environment name].
    #[arg(long, value_name = "NAME", env = JIRA_SEND_GITHUB_ENVIRONMENT)]
    pub github_environment: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(flatten)]
    pub keys: KeyArgs,

    /// Preview the range a deployment to this environment reads: from its last
    /// successful deployment, asking GitHub's or GitLab's deployments API and origin as
    /// `deployment` does (never Jira; with --dry-run, only the local tag and Jenkins'
    /// variable).
    #[arg(long, value_name = "NAME", env = JIRA_SEND_ENVIRONMENT, help_heading = "Deployment range")]
    pub environment: Option<String>,

    /// The environment's id, which names its marker tag [default: derived from
    /// --environment, as `deployment` derives it].
    #[arg(long, value_name = "ID", env = JIRA_SEND_ENVIRONMENT_ID, help_heading = "Deployment range")]
    pub environment_id: Option<String>,

    #[command(flatten)]
    pub range: RangeArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Build")]
pub struct BuildArgs {
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

    // Last: the heading of a flattened group carries over to the options after it.
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args)]
pub struct DeploymentArgs {
    #[command(flatten, next_help_heading = "Deployment")]
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

    #[command(flatten)]
    pub range: RangeArgs,

    /// Once Jira accepted this deployment as successful, move the tag
    /// jira-send/deployed/<environment-id> to HEAD and push it to origin (that one
    /// ref, forced), for the next deployment's range; a failed push is only a warning.
    #[arg(long, env = JIRA_SEND_RECORD_DEPLOYMENT, value_parser = parse_bool,
          num_args = 0, default_missing_value = "true", help_heading = "Deployment range")]
    pub record_deployment: bool,

    // Last: the heading of a flattened group carries over to the options after it.
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Development information")]
pub struct DevinfoArgs {
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

    // Last: the heading of a flattened group carries over to the options after it.
    #[command(flatten)]
    pub keys: KeyArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Feature flag")]
pub struct FlagArgs {
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

    // Last: the heading of a flattened group carries over to the options after it.
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// Which deployment: the same key the `deployment` command sends.
#[derive(Debug, Args, Clone, Default)]
pub struct DeploymentKeyArgs {
    /// Groups a sequence of deployments; stable across runs [default: the project
    /// file's, else the CI's, else the repository].
    #[arg(long, value_name = "ID", env = JIRA_SEND_PIPELINE_ID)]
    pub pipeline_id: Option<String>,

    /// The environment's name, e.g. "Production EU" [required unless the CI names
    /// one, or for gate --environment-id is given]; the id is derived from it.
    #[arg(long, value_name = "NAME", env = JIRA_SEND_ENVIRONMENT)]
    pub environment: Option<String>,

    /// The environment's id [default: derived from --environment].
    #[arg(long, value_name = "ID", env = JIRA_SEND_ENVIRONMENT_ID)]
    pub environment_id: Option<String>,

    /// The deployment's number [default: the CI's run number; required outside CI].
    #[arg(long, value_name = "N", env = JIRA_SEND_DEPLOYMENT_NUMBER)]
    pub deployment_number: Option<u64>,
}
