//! The `jira-send` binary: parse, set up logging, run, exit.

use std::process::ExitCode;

use jira_send::env::Env;

fn main() -> ExitCode {
    // The --timeout deadline counts from here.
    jira_send::clock::started();
    drop_empty_settings();
    let env = Env::from_process();
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match jira_send::cli::parse(&args) {
        Ok(cli) => cli,
        Err(error) => return jira_send::cli_error(error, &args, &env).into(),
    };
    jira_send::logging::init(cli.global.quiet, cli.global.verbose, &env);
    jira_send::run(&cli, &env).into()
}

/// An empty `JIRA_*` variable means "not set": CI templates (and the GitHub Action)
/// write `JIRA_SEND_STATE: ""` for an input left out, and clap would otherwise read ""
/// as a value and reject it.
#[allow(clippy::disallowed_methods, unsafe_code)]
fn drop_empty_settings() {
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(name, value)| value.is_empty() && name.to_str().is_some_and(|n| n.starts_with("JIRA_")))
        .map(|(name, _)| name)
        .collect();
    for name in empty {
        // SAFETY: this runs first in `main`, before any other thread exists, so nothing
        // can read the environment concurrently.
        unsafe { std::env::remove_var(name) };
    }
}
