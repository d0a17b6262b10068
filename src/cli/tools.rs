//! The commands around the sending ones: deployment gating, deleting what was sent,
//! the outbox, checks, payload files and the environment.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::entities::DeploymentKeyArgs;
use super::values::{parse_duration, parse_property, parse_wait};

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
