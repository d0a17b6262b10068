//! jira-send: tell Jira Software Cloud what a pipeline built and deployed.
//!
//! Data flows one way: command line and environment → [`settings`] → issue keys
//! ([`keys`], from [`git`] and [`ci`]) and the run's [`context`] → [`payload`] →
//! [`schema`] validation → [`send`] → [`report`] → exit code.

// clippy.toml's rules (who reads the environment, the clocks, the files) are the
// library's: its own build is checked in full; its unit tests build fixtures with
// std::fs and may time what they run.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod answer;
pub mod api;
pub mod auth;
pub mod ci;
pub mod cli;
pub mod clock;
pub mod cloud_id;
mod commands;
pub mod context;
pub mod deployed;
pub mod env;
pub mod error;
pub mod fs;
pub mod git;
pub mod http;
pub mod junit;
pub mod keys;
pub mod logging;
pub mod mask;
pub mod outbox;
pub mod payload;
pub mod plural;
pub mod printable;
pub mod remote;
pub mod report;
pub mod schema;
pub mod send;
pub mod settings;

use cli::Cli;
use env::Env;
use error::Exit;

/// Runs a parsed command line against an environment snapshot.
pub fn run(cli: &Cli, env: &Env) -> Exit {
    commands::run(cli, env, &clock::SystemClock)
}

/// Reports a command line clap could not parse (or `--help`/`--version`): see
/// `commands::refused`.
pub fn cli_error(error: clap::Error, args: &[String], env: &Env) -> Exit {
    commands::refused(error, args, env)
}
