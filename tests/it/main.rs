//! Integration tests: the real binary against an in-process fake Jira on loopback and
//! git repositories built in temporary directories. The binary never sees the
//! developer's environment, home, git configuration or network.

#![allow(clippy::unwrap_used, clippy::print_stderr, unsafe_code)]
// clippy.toml's rules are the library's: these tests build fixtures with std::fs, time
// whole runs and read their own PATH.
#![allow(clippy::disallowed_methods)]

mod common;

/// The GitHub Action's inputs, variables and outputs.
mod action;
/// The token cache across invocations, 401 renewal, refused credentials.
mod auth;
/// Builds end to end: token, cloud id, bulk POST, report, exit code.
mod builds;
/// Every CI system's pull-request build, end to end.
mod ci;
/// Usage errors: exit 2 before any network call.
mod cli;
/// Shell completions, in the real shells.
mod completions;
/// Every form of `delete`.
mod delete;
/// Deployments end to end.
mod deployments;
/// Development information: commits, files, branch, pull request, chunking.
mod devinfo;
/// Names that do not resolve: a site's is a setting, any other an outage.
mod dns;
/// `doctor`.
mod doctor;
/// Faults: rate limits, server errors, drops, slowness, 413, Jira down and the outbox.
mod faults;
/// Special, huge and untrusted files; where a path came from.
mod files;
/// Feature flags, and what a refusal means.
mod flags;
/// Deployment gating and its exit codes.
mod gate;
/// GitHub outputs, JUnit, the project file, completions.
mod integration;
/// `keys`: sources, ranges, shallow clones.
mod keys;
/// `validate` and `env`.
mod offline;
/// A bad value's message names where it was set: the flag or its variable.
mod origins;
/// The outbox: planted files, orphans, rejected entries, `flush --list` and `--drop`.
mod outbox;
/// The outbox's lock held by another process: a save gives up, never hangs.
mod outbox_lock;
/// A deployment's range: from the last successful deployment (GitHub, GitLab, the
/// marker tag, Jenkins), in shallow clones, and recording it.
mod range;
/// No secret in any output or file.
mod secrets;
/// Server text printed escaped: no workflow command, no escape sequence.
mod server_text;
/// Our schemas against Atlassian's official specification.
mod spec;
/// What each status of a bulk answer means: a verdict, or an outage.
mod statuses;
