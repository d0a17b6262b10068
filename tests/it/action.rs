//! The GitHub Action (`action.yml`): inputs reach the binary only through variables it
//! reads, never through a script's text. Read as plain text, so this needs no YAML
//! parser.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The `run:` scripts of the action: the lines indented under each `run: |`.
fn scripts(action: &str) -> Vec<String> {
    let mut scripts = Vec::new();
    let mut lines = action.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(at) = line.find("run: |") else { continue };
        let mut script = String::new();
        while let Some(next) = lines.peek() {
            let indent = next.len() - next.trim_start().len();
            if !next.trim().is_empty() && indent <= at {
                break;
            }
            script.push_str(lines.next().unwrap());
            script.push('\n');
        }
        scripts.push(script);
    }
    scripts
}

/// The variables the action's steps set: `NAME: ${{ … }}` lines.
fn variables(action: &str) -> Vec<String> {
    action
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().split_once(':')?;
            let upper = name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            (upper && !name.is_empty() && value.trim().starts_with("${{")).then(|| name.to_owned())
        })
        .collect()
}

#[test]
fn no_script_interpolates_an_expression() {
    let action = read("action.yml");
    let scripts = scripts(&action);
    assert_eq!(scripts.len(), 2, "install and run");
    for script in scripts {
        assert!(
            !script.contains("${{"),
            "a run: script interpolates an expression:\n{script}"
        );
    }
}

#[test]
fn every_variable_the_action_sets_is_read() {
    let action = read("action.yml");
    let env_rs = read("src/env.rs");
    let scripts = scripts(&action).concat();
    let variables = variables(&action);
    assert!(variables.len() >= 15, "{variables:?}");
    for name in variables {
        if name.starts_with("JIRA_") {
            assert!(
                env_rs.contains(&format!("pub const {name}: &str = \"{name}\";")),
                "the action sets {name}, which jira-send does not read"
            );
        } else {
            assert!(
                scripts.contains(&format!("${name}")) || scripts.contains(&format!("${{{name}")),
                "the action sets {name}, which its scripts do not use"
            );
        }
    }
}

#[test]
fn every_input_is_passed_on_and_every_output_is_written() {
    let action = read("action.yml");
    let inputs: Vec<&str> = action
        .split("\ninputs:\n")
        .nth(1)
        .unwrap()
        .split("\noutputs:\n")
        .next()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.trim_end().ends_with(':'))
        .map(|l| l.trim().trim_end_matches(':'))
        .collect();
    for expected in [
        "command",
        "site",
        "cloud-id",
        "client-id",
        "client-secret",
        "state",
        "environment",
        "environment-type",
        "issue-keys",
        "since",
        "fail-on",
        "dry-run",
        "args",
        "working-directory",
        "version",
    ] {
        assert!(
            inputs.contains(&expected),
            "input {expected} is missing: {inputs:?}"
        );
    }
    for input in inputs {
        assert!(
            action.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is never used"
        );
    }
    let publish = read("src/publish.rs");
    for output in [
        "issue-keys",
        "accepted",
        "rejected",
        "unknown-issue-keys",
        "exit-code",
    ] {
        assert!(
            action.contains(&format!("steps.run.outputs.{output}")),
            "output {output} is not exposed"
        );
        assert!(
            publish.contains(&format!("(\"{output}\"")),
            "jira-send does not write {output}"
        );
    }
}
