//! The `jira-send` binary: parse, set up logging, run, exit.

use std::process::ExitCode;

use clap::Parser as _;
use jira_send::cli::Cli;
use jira_send::env::Env;

fn main() -> ExitCode {
    let env = Env::from_process();
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return jira_send::cli_error(&error, &args, &env).into(),
    };
    jira_send::logging::init(&cli.global, &env);
    jira_send::run(&cli, &env).into()
}
