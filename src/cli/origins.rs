//! Which options a variable set: a message about a value names where the user wrote
//! it (`JIRA_SITE`, not `--site`, when the variable holds the bad site).

use clap::CommandFactory as _;
use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;

use crate::env::Env;
use crate::settings::Origins;

/// The options of `matches` (parsed by `command`) whose value came from their variable.
/// A global option given after the subcommand lands in the subcommand's matches too:
/// the deepest level that has a value says where it came from.
pub(super) fn of(command: &clap::Command, matches: &clap::ArgMatches) -> Origins {
    let mut levels = vec![(command, matches)];
    while let Some((name, sub)) = levels.last().and_then(|(_, m)| m.subcommand()) {
        let Some(sub_command) = levels.last().and_then(|(c, _)| c.find_subcommand(name)) else {
            break;
        };
        levels.push((sub_command, sub));
    }
    let mut origins = Origins::default();
    let mut decided: Vec<&str> = Vec::new();
    for (command, matches) in levels.into_iter().rev() {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let Ok(Some(source)) = matches.try_get_raw(id).map(|_| matches.value_source(id)) else {
                continue;
            };
            if decided.contains(&id) || source == ValueSource::DefaultValue {
                continue;
            }
            decided.push(id);
            if let (ValueSource::EnvVariable, Some(long), Some(variable)) =
                (source, arg.get_long(), arg.get_env())
            {
                origins.set_by(format!("--{long}"), variable.to_string_lossy().into_owned());
            }
        }
    }
    origins
}

/// `error` about an option its variable set names the variable: clap says
/// `'--timeout <DURATION>'` whether the value was typed or read from `JIRA_SEND_TIMEOUT`.
/// A refused value that is the variable's is the variable's: clap checks a global
/// option's variable below the subcommand even when the flag is given.
pub fn name_variables(error: &mut clap::Error, origins: &Origins, env: &Env) {
    let refused = match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => Some(value.clone()),
        _ => None,
    };
    let named = |arg: &str| {
        let flag = arg.split([' ', '=']).next().unwrap_or(arg);
        let variable = origins.variable(flag).map(str::to_owned).or_else(|| {
            let variable = variable_of(&super::Cli::command(), flag)?;
            (refused.is_some() && env.get(&variable) == refused.as_deref()).then_some(variable)
        });
        match variable {
            Some(variable) => format!("{variable} ({arg})"),
            None => arg.to_owned(),
        }
    };
    for kind in [ContextKind::InvalidArg, ContextKind::PriorArg] {
        let renamed = match error.get(kind) {
            Some(ContextValue::String(arg)) => ContextValue::String(named(arg)),
            Some(ContextValue::Strings(args)) => {
                ContextValue::Strings(args.iter().map(|a| named(a)).collect())
            }
            _ => continue,
        };
        error.insert(kind, renamed);
    }
}

/// The variable of `flag` (`--timeout`), in `command` or any of its subcommands.
fn variable_of(command: &clap::Command, flag: &str) -> Option<String> {
    let long = flag.strip_prefix("--")?;
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| Some(arg.get_env()?.to_string_lossy().into_owned()))
        .or_else(|| command.get_subcommands().find_map(|sub| variable_of(sub, flag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_names_the_variable_that_set_it() {
        let refused = |origins: &Origins, env: &Env| {
            let mut error = super::super::Cli::command()
                .try_get_matches_from(["jira-send", "build", "--timeout", "soon"])
                .unwrap_err();
            name_variables(&mut error, origins, env);
            error.to_string()
        };
        let typed = refused(&Origins::default(), &Env::default());
        assert!(typed.contains("'soon' for '--timeout <DURATION>'"), "{typed}");
        let mut origins = Origins::default();
        origins.set_by("--timeout".into(), "JIRA_SEND_TIMEOUT".into());
        let set = refused(&origins, &Env::default());
        assert!(
            set.contains("'JIRA_SEND_TIMEOUT (--timeout <DURATION>)'"),
            "{set}"
        );
        // The variable holds the very value refused: it is the variable's.
        let env: Env = [("JIRA_SEND_TIMEOUT", "soon")].into_iter().collect();
        assert_eq!(refused(&Origins::default(), &env), set);
        assert_eq!(origins.of("--timeout"), "JIRA_SEND_TIMEOUT");
        assert_eq!(origins.of("--site"), "--site");
    }
}
