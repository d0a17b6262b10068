//! The GitHub Action (`action.yml`), through its own scripts: inputs reach the binary
//! only through variables, `args` is split into words the way a shell splits them
//! without anything in it being run or expanded, and every command writes the step
//! outputs the action declares.
//!
//! The scripts are taken from `action.yml` as GitHub would run them (`bash -e` with the
//! step's variables), with a stub `jira-send` first on the PATH that records the
//! arguments it receives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use serde_norway::Value as Yaml;

use crate::common::{FakeJira, TestRepo, stderr};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Yaml {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    serde_norway::from_str(&text).expect("action.yml is YAML")
}

/// The action's steps by id: `install` and `run`.
fn step(action: &Yaml, id: &str) -> Yaml {
    action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .unwrap_or_else(|| panic!("no step {id}"))
        .clone()
}

fn keys_of(mapping: &Yaml) -> Vec<String> {
    mapping
        .as_mapping()
        .map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[test]
fn no_script_interpolates_an_expression() {
    let action = action();
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    assert_eq!(steps.len(), 2, "install and run");
    for step in steps {
        let script = step["run"].as_str().unwrap();
        assert!(
            !script.contains("${{"),
            "a run: script interpolates an expression:\n{script}"
        );
    }
}

/// Variables of the CI's own that the action sets for jira-send (which reads them where
/// it reads the CI system's variables, not by a name in `src/env.rs`).
const CI_VARIABLES: [&str; 1] = ["GITHUB_TOKEN"];

/// Every `.rs` file under `dir`, concatenated.
fn rust_sources(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text.push_str(&rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    text
}

#[test]
fn every_input_reaches_a_variable_jira_send_or_a_script_reads() {
    let action = action();
    let env_rs = std::fs::read_to_string(root().join("src/env.rs")).unwrap();
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for input in keys_of(&action["inputs"]) {
        assert!(
            text.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is never used"
        );
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let scripts: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let sources = rust_sources(&root().join("src"));
    let mut variables = 0;
    for step in steps {
        for name in keys_of(&step["env"]) {
            variables += 1;
            let named = env_rs.contains(&format!("pub const {name}: &str = \"{name}\";"));
            if name.starts_with("JIRA_") {
                assert!(named, "the action sets {name}, which jira-send does not read");
            } else if CI_VARIABLES.contains(&name.as_str()) {
                assert!(
                    sources.contains(&format!("\"{name}\"")),
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
    assert!(variables >= 15, "{variables} variables");
}

/// A directory with a `jira-send` that records its arguments in `argv` beside it, and
/// in `env` each variable the action's `run` step sets, as `NAME=value` (nothing for
/// one that is unset); both NUL-separated, so any character survives.
fn stub(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let (argv, env) = (dir.join("argv"), dir.join("env"));
    let (argv, env) = (argv.display(), env.display());
    let mut script = format!("#!/bin/sh\nprintf '%s\\0' \"$@\" > '{argv}'\n: > '{env}'\n");
    for name in keys_of(&step(&action(), "run")["env"]) {
        // The name goes into the script's text: only a plain variable name may.
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
            "{name:?}"
        );
        script.push_str(&format!(
            "[ -z \"${{{name}+set}}\" ] || printf '%s=%s\\0' {name} \"${name}\" >> '{env}'\n"
        ));
    }
    let path = bin.join("jira-send");
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// What the stub `jira-send` received.
struct Received {
    argv: Vec<String>,
    /// The variables of the `run` step that were set when it ran.
    env: BTreeMap<String, String>,
}

/// The workflow's token, as `${{ github.token }}` gives it in these tests.
const WORKFLOW_TOKEN: &str = "ghs_workflowToken4Tests0123456789abcdef";

/// The `run` step's variables as GitHub sets them when the action is used `with` these
/// inputs: the others take their defaults (`${{ github.token }}` is `token`), and the
/// install step's output is `bin`.
fn run_step_env(action: &Yaml, with: &[(&str, &str)], token: &str, bin: &str) -> Vec<(String, String)> {
    let inputs = &action["inputs"];
    for (name, _) in with {
        assert!(inputs.get(*name).is_some(), "the action has no input {name}");
    }
    let input = |name: &str| -> String {
        if let Some((_, value)) = with.iter().find(|(given, _)| *given == name) {
            return (*value).to_owned();
        }
        let declared = inputs
            .get(name)
            .unwrap_or_else(|| panic!("the action has no input {name}"));
        match declared["default"].as_str() {
            None => String::new(),
            Some("${{ github.token }}") => token.to_owned(),
            Some(other) if other.contains("${{") => {
                panic!("input {name}: a default this test cannot evaluate: {other}")
            }
            Some(other) => other.to_owned(),
        }
    };
    let run = step(action, "run");
    keys_of(&run["env"])
        .into_iter()
        .map(|name| {
            let expression = run["env"][name.as_str()].as_str().unwrap();
            let value = match expression
                .strip_prefix("${{ inputs.")
                .and_then(|rest| rest.strip_suffix(" }}"))
            {
                Some(input_name) => input(input_name),
                None if expression == "${{ steps.install.outputs.bin }}" => bin.to_owned(),
                None => panic!("{name}: an expression this test cannot evaluate: {expression}"),
            };
            (name, value)
        })
        .collect()
}

/// Runs the action's two steps as GitHub would, with `command` and `args` as inputs,
/// in `dir`; returns the arguments the stub received.
fn through_the_action(dir: &Path, command: &str, args: &str) -> Vec<String> {
    run_the_action(dir, &[("command", command), ("args", args)], WORKFLOW_TOKEN).argv
}

/// Runs the action's two steps as GitHub would, used `with` these inputs in a workflow
/// whose token is `token`, in `dir`; returns what the stub received.
fn run_the_action(dir: &Path, with: &[(&str, &str)], token: &str) -> Received {
    let action = action();
    let bin = stub(dir);
    // The real PATH after the stub: the scripts need bash's companions (cat, grep).
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run_step = |id: &str, outputs: &Path, extra: &[(String, String)]| {
        let step = step(&action, id);
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c"])
            .arg(step["run"].as_str().unwrap())
            .current_dir(dir)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", dir)
            .env("GITHUB_OUTPUT", outputs)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", dir)
            .envs(extra.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "step {id} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            stderr(&output)
        );
    };
    let install_outputs = dir.join("install-outputs");
    run_step(
        "install",
        &install_outputs,
        &[("ACTION_VERSION".to_owned(), "latest".to_owned())],
    );
    let outputs = std::fs::read_to_string(&install_outputs).unwrap();
    let found = outputs
        .lines()
        .find_map(|l| l.strip_prefix("bin="))
        .expect("the install step names the binary");
    assert_eq!(
        Path::new(found),
        bin.join("jira-send"),
        "the stub on the PATH is used"
    );
    run_step(
        "run",
        &dir.join("run-outputs"),
        &run_step_env(&action, with, token, found),
    );
    let split = |file: &str| {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        text.split_terminator('\0').map(str::to_owned).collect::<Vec<_>>()
    };
    Received {
        argv: split("argv"),
        env: split("env")
            .into_iter()
            .map(|entry| {
                let (name, value) = entry.split_once('=').unwrap();
                (name.to_owned(), value.to_owned())
            })
            .collect(),
    }
}

/// Every `args:` the repository shows for this action: in the examples' workflows (read
/// as YAML, as GitHub reads them) and in the README's snippets.
fn shown_args() -> Vec<(String, String)> {
    // The `with: args:` of every step that uses this action.
    fn walk(yaml: &Yaml, found: &mut Vec<String>) {
        match yaml {
            Yaml::Mapping(mapping) => {
                let uses = yaml["uses"].as_str().unwrap_or_default();
                if uses.starts_with("jira-send/jira-send@")
                    && let Some(args) = yaml["with"].get("args")
                {
                    found.push(args.as_str().expect("args is a string").to_owned());
                }
                mapping.values().for_each(|value| walk(value, found));
            }
            Yaml::Sequence(items) => items.iter().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut shown = Vec::new();
    let examples = root().join("examples/github-actions");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        let yaml: Yaml = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut found = Vec::new();
        walk(&yaml, &mut found);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        shown.extend(found.into_iter().map(|args| (name.clone(), args)));
    }
    // The README's YAML snippets, each read as GitHub would read it: so they must
    // also be valid YAML.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(indent) = line.find("```yaml") else {
            continue;
        };
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|l| l.trim() != "```")
            .map(|l| l.get(indent..).unwrap_or(""))
            .collect();
        let block = block.join("\n");
        let yaml: Yaml = serde_norway::from_str(&block)
            .unwrap_or_else(|e| panic!("a README snippet is not YAML ({e}):\n{block}"));
        let mut found = Vec::new();
        walk(&yaml, &mut found);
        shown.extend(found.into_iter().map(|args| ("README.md".to_owned(), args)));
    }
    shown
}

#[test]
#[cfg_attr(not(unix), ignore = "the stub jira-send is a shell script")]
fn every_args_example_reaches_jira_send_as_shown() {
    // What each example means: the words jira-send must receive after the command.
    let expected: BTreeMap<&str, &[&str]> = [
        (
            "--junit 'target/test-reports/*.xml'",
            &["--junit", "target/test-reports/*.xml"][..],
        ),
        ("--gate", &["--gate"][..]),
        (
            "--wait --wait-timeout 2h",
            &["--wait", "--wait-timeout", "2h"][..],
        ),
        (
            "--junit 'reports/**/*.xml' --label \"release candidate\"",
            &["--junit", "reports/**/*.xml", "--label", "release candidate"][..],
        ),
        (
            "--junit 'target/test-reports/*.xml'\n--label \"nightly build\"\n--description it\\'s\n",
            &[
                "--junit",
                "target/test-reports/*.xml",
                "--label",
                "nightly build",
                "--description",
                "it's",
            ][..],
        ),
    ]
    .into_iter()
    .collect();
    let shown = shown_args();
    assert!(shown.len() >= 4, "{shown:?}");
    for file in ["build.yml", "deployment.yml", "README.md"] {
        assert!(
            shown.iter().any(|(shown_in, _)| shown_in == file),
            "{file} shows args: {shown:?}"
        );
    }
    for (file, args) in shown {
        let want = expected
            .get(args.as_str())
            .unwrap_or_else(|| panic!("{file}: add the argv that `args: {args:?}` stands for"));
        let dir = tempfile::tempdir().unwrap();
        // A file the glob would match, were it expanded.
        std::fs::create_dir_all(dir.path().join("target/test-reports")).unwrap();
        std::fs::write(dir.path().join("target/test-reports/a.xml"), "").unwrap();
        let argv = through_the_action(dir.path(), "build", &args);
        assert_eq!(argv[0], "build");
        assert_eq!(&argv[1..], *want, "{file}: args: {args:?}");
    }
}

#[test]
#[cfg_attr(not(unix), ignore = "the stub jira-send is a shell script")]
fn nothing_in_args_runs_or_expands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.xml"), "").unwrap();
    let args = r#"$(touch ran-dollar) `touch ran-backtick` ; touch ran-semicolon && touch ran-and | touch ran-pipe
*.xml ~ $HOME ${PATH} "$(touch ran-quoted)" 'single $x' "double \"q\" \\ \$y" a\ b '' --x="" >out <in"#;
    let argv = through_the_action(dir.path(), "keys", args);
    assert_eq!(
        argv,
        [
            "keys",
            "$(touch",
            "ran-dollar)",
            "`touch",
            "ran-backtick`",
            ";",
            "touch",
            "ran-semicolon",
            "&&",
            "touch",
            "ran-and",
            "|",
            "touch",
            "ran-pipe",
            "*.xml",
            "~",
            "$HOME",
            "${PATH}",
            "$(touch ran-quoted)",
            "single $x",
            "double \"q\" \\ $y",
            "a b",
            "",
            "--x=",
            ">out",
            "<in",
        ]
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("ran-") || name == "out")
        .collect();
    assert!(left.is_empty(), "something ran: {left:?}");
}

/// The workflow's token and the deployment range's inputs reach jira-send as the
/// variables it reads, never among its arguments (which other processes on the runner
/// can read), and a value is passed as it is, with nothing in it run.
#[test]
#[cfg_attr(not(unix), ignore = "the stub jira-send is a shell script")]
fn the_token_and_the_range_inputs_reach_jira_send_as_variables_never_as_arguments() {
    let hostile = "prod $(touch ran) `touch ran` ; \"quoted\" 'x' ${GITHUB_TOKEN}";
    let dir = tempfile::tempdir().unwrap();
    let got = run_the_action(
        dir.path(),
        &[
            ("command", "deployment"),
            ("environment", "Production EU"),
            ("since-deployment", "github"),
            ("github-environment", hostile),
            ("record-deployment", "true"),
        ],
        WORKFLOW_TOKEN,
    );
    assert_eq!(got.argv, ["deployment"]);
    for (name, value) in [
        ("GITHUB_TOKEN", WORKFLOW_TOKEN),
        ("JIRA_SEND_ENVIRONMENT", "Production EU"),
        ("JIRA_SEND_SINCE_DEPLOYMENT", "github"),
        ("JIRA_SEND_GITHUB_ENVIRONMENT", hostile),
        ("JIRA_SEND_RECORD_DEPLOYMENT", "true"),
    ] {
        assert_eq!(got.env.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert!(!dir.path().join("ran").exists(), "a value was run");

    // With `args`, as the examples use it; the inputs left out are empty, which jira-send
    // reads as unset (its own defaults apply), and the token is still passed.
    let dir = tempfile::tempdir().unwrap();
    let got = run_the_action(
        dir.path(),
        &[("command", "deployment"), ("args", "--gate --record-deployment")],
        WORKFLOW_TOKEN,
    );
    assert_eq!(got.argv, ["deployment", "--gate", "--record-deployment"]);
    assert_eq!(got.env["GITHUB_TOKEN"], WORKFLOW_TOKEN);
    for name in [
        "JIRA_SEND_SINCE_DEPLOYMENT",
        "JIRA_SEND_GITHUB_ENVIRONMENT",
        "JIRA_SEND_RECORD_DEPLOYMENT",
    ] {
        assert_eq!(got.env[name], "", "{name}");
    }

    // Another token replaces the workflow's; an empty one passes none.
    for token in ["ghp_anotherToken0123456789", ""] {
        let dir = tempfile::tempdir().unwrap();
        let got = run_the_action(
            dir.path(),
            &[("command", "keys"), ("github-token", token)],
            WORKFLOW_TOKEN,
        );
        assert_eq!(got.argv, ["keys"]);
        assert_eq!(got.env["GITHUB_TOKEN"], token);
    }
}

#[test]
#[cfg_attr(not(unix), ignore = "the stub jira-send is a shell script")]
fn an_unterminated_quote_fails_the_step_before_jira_send_runs() {
    let dir = tempfile::tempdir().unwrap();
    let action = action();
    let bin = stub(dir.path());
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c"])
        .arg(step(&action, "run")["run"].as_str().unwrap())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("ACTION_BIN", bin.join("jira-send"))
        .env("ACTION_COMMAND", "build")
        .env("ACTION_ARGS", "--label 'oops")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("unterminated ' quote"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!dir.path().join("argv").exists(), "jira-send ran");
}

/// The outputs `action.yml` declares, each `${{ steps.run.outputs.<name> }}`.
fn declared_outputs() -> Vec<String> {
    let action = action();
    let outputs = keys_of(&action["outputs"]);
    for name in &outputs {
        assert_eq!(
            action["outputs"][name.as_str()]["value"].as_str(),
            Some(format!("${{{{ steps.run.outputs.{name} }}}}").as_str()),
            "output {name}"
        );
    }
    outputs
}

/// The `name=value` lines of a `$GITHUB_OUTPUT` file; every name exactly once.
fn written_outputs(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut outputs = BTreeMap::new();
    for line in text.lines() {
        let (name, value) = line.split_once('=').unwrap_or_else(|| panic!("{line:?}"));
        assert!(
            outputs.insert(name.to_owned(), value.to_owned()).is_none(),
            "{name} written twice:\n{text}"
        );
    }
    outputs
}

/// Every command, run by the binary, writes every output the action declares.
#[tokio::test]
async fn every_command_writes_the_declared_outputs() {
    let declared = declared_outputs();
    assert_eq!(
        declared,
        [
            "issue-keys",
            "accepted",
            "rejected",
            "unknown-issue-keys",
            "exit-code"
        ]
    );
    let jira = FakeJira::start().await;
    jira.unknown_keys.lock().unwrap().push("ABC-2".into());
    jira.gate_answers
        .lock()
        .unwrap()
        .push_back((200, json!({"gatingStatus": "prevented", "details": []})));
    let repo = TestRepo::new("feature/ABC-1-login");
    repo.commit("ABC-2 and ABC-3");
    let home = tempfile::tempdir().unwrap();
    let url = ["--url", "https://ci.example.com/1", "--pipeline-id", "app"];
    // What runs, its arguments, its exit code, and outputs it must write with values.
    type Run<'a> = (&'a str, Vec<&'a str>, i32, &'a [(&'a str, &'a str)]);
    let runs: [Run; 6] = [
        (
            "build",
            [&["build", "--build-number", "1"][..], &url].concat(),
            0,
            &[
                ("issue-keys", "ABC-1,ABC-2,ABC-3"),
                ("accepted", "1"),
                ("rejected", "0"),
                ("unknown-issue-keys", "ABC-2"),
                ("exit-code", "0"),
            ],
        ),
        (
            "keys",
            vec!["keys"],
            0,
            &[
                ("issue-keys", "ABC-1,ABC-2,ABC-3"),
                ("accepted", ""),
                ("exit-code", "0"),
            ],
        ),
        (
            "gate",
            vec![
                "gate",
                "--pipeline-id",
                "app",
                "--environment",
                "prod",
                "--deployment-number",
                "3",
            ],
            5,
            &[("issue-keys", ""), ("exit-code", "5")],
        ),
        (
            "validate",
            vec!["validate", "no-such-file.json"],
            2,
            &[("exit-code", "2")],
        ),
        (
            "a usage error",
            vec!["build", "--state", "done"],
            2,
            &[("exit-code", "2")],
        ),
        ("env", vec!["env"], 0, &[("exit-code", "0")]),
    ];
    for (what, args, code, expected) in runs {
        let outputs = home.path().join(format!("outputs-{what}"));
        let output = jira
            .jira_send(home.path())
            .current_dir(repo.path())
            .env("GITHUB_OUTPUT", &outputs)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{what}: {}", stderr(&output));
        let written = written_outputs(&outputs);
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            {
                let mut sorted: Vec<&String> = declared.iter().collect();
                sorted.sort();
                sorted
            },
            "{what}"
        );
        for (name, value) in expected {
            assert_eq!(written[*name], *value, "{what}: {name}");
        }
    }
}

/// What a server lists goes to `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` masked, like
/// stdout (here it lists the bearer token it was sent as an unknown key), and bounded
/// (it lists 100,000 more): GitHub takes at most 1 MiB of each per step. The lists keep
/// whole keys, and what was left out is said on stderr and in the summary.
#[tokio::test]
async fn the_step_outputs_and_summary_are_masked_and_bounded() {
    const KEYS: usize = 100_000;
    let jira = FakeJira::start().await;
    // The fake's first token: what this run sends as its bearer token.
    let token = "access-token-1";
    let mut unknown = vec![token.to_owned()];
    unknown.extend((1..=KEYS).map(|n| format!("UNKNOWN-{n}")));
    *jira.unknown_keys.lock().unwrap() = unknown;
    let home = tempfile::tempdir().unwrap();
    let (outputs, summary) = (home.path().join("outputs"), home.path().join("summary"));
    let output = jira
        .jira_send(home.path())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(crate::common::SIMPLE_BUILD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in [&outputs, &summary] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(token),
            "{}: the token in the clear",
            file.display()
        );
        assert!(
            text.len() < 1024 * 1024,
            "{}: {} bytes",
            file.display(),
            text.len()
        );
    }
    let written = written_outputs(&outputs);
    let listed: Vec<&str> = written["unknown-issue-keys"].split(',').collect();
    assert_eq!(listed[..3], ["****", "UNKNOWN-1", "UNKNOWN-2"]);
    let last = listed.last().unwrap().trim_start_matches("UNKNOWN-");
    assert_eq!(
        last.parse::<usize>().unwrap(),
        listed.len() - 1,
        "whole keys, in order"
    );
    assert!(listed.len() < KEYS);
    assert!(
        stderr(&output).contains(&format!(
            "the step output unknown-issue-keys lists {} of {} keys",
            listed.len(),
            KEYS + 1
        )),
        "{}",
        stderr(&output)
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("more (see the job log)"),
        "{}",
        &summary[summary.len().saturating_sub(500)..]
    );
}

/// Hostile report, S1: `args` is read in one pass, so a large value (here about 100 KB,
/// near the most one variable may hold) is split in about a second, where reading
/// character `i` by counting from the start took minutes. A watchdog, not a timer: the
/// step must end, with every word intact.
#[test]
#[cfg_attr(not(unix), ignore = "the stub jira-send is a shell script")]
fn a_large_args_value_is_split_in_one_pass() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let chunk = "--label 'é long value' a\\ b \"q\\\"x\"\n";
    let words = ["--label", "é long value", "a b", "q\"x"];
    let times = 100_000 / chunk.len();
    let args = chunk.repeat(times);
    let dir = tempfile::tempdir().unwrap();
    let bin = stub(dir.path());
    let mut child = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c"])
        .arg(step(&action(), "run")["run"].as_str().unwrap())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("LC_ALL", "C.UTF-8")
        .env("ACTION_BIN", bin.join("jira-send"))
        .env("ACTION_COMMAND", "build")
        .env("ACTION_ARGS", &args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "splitting {} bytes of args did not end within a minute",
                args.len()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let argv = std::fs::read_to_string(dir.path().join("argv")).unwrap();
    let argv: Vec<&str> = argv.split_terminator('\0').collect();
    assert_eq!(argv[0], "build");
    assert_eq!(argv.len(), 1 + times * words.len());
    for (i, got) in argv[1..].chunks(words.len()).enumerate() {
        assert_eq!(got, words, "words of chunk {i}");
    }
}
