//! Shell completions, checked in the real shells: each generated script is loaded into
//! bash, zsh and fish, which are asked to complete a subcommand's option, as a user
//! pressing TAB would.
//!
//! A shell that is not installed makes its test *ignored* (see `build.rs`), never a
//! silent pass; `.ci/run` installs all three and sets `JIRA_SEND_REQUIRE_SHELLS=1`, so
//! there a missing shell fails.

use std::path::Path;
use std::process::Command;

use crate::common::{jira_send, stderr, stdout};

/// What each test completes, and the candidate that must be offered: an option of a
/// subcommand, and one of a subcommand's subcommand.
const CASES: [(&[&str], &str, &str); 3] = [
    (&["jira-send", "build"], "--st", "--state"),
    (
        &["jira-send", "deployment"],
        "--environment-t",
        "--environment-type",
    ),
    (&["jira-send", "delete", "build"], "--pip", "--pipeline-id"),
];

/// The completion script for `shell`, written to a file in `dir`.
fn script(shell: &str, dir: &Path, file: &str) -> std::path::PathBuf {
    let output = jira_send(dir).args(["completions", shell]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = dir.join(file);
    std::fs::write(&path, &output.stdout).unwrap();
    path
}

/// `program` with no startup files and a private home: only the script under test.
fn shell(program: &str, home: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("HOME", home)
        // The shells are found on the test's own PATH.
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .current_dir(home);
    command
}

fn candidates(output: &std::process::Output, program: &str) -> Vec<String> {
    assert!(
        output.status.success(),
        "{program} failed ({:?}): {}",
        output.status,
        stderr(output)
    );
    stdout(output)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
#[cfg_attr(skip_bash, ignore = "needs bash on a Unix system (.ci/run installs it)")]
fn bash_completes_subcommand_options() {
    let home = tempfile::tempdir().unwrap();
    let script = script("bash", home.path(), "jira-send.bash");
    // What bash does on TAB: find the function `complete -p` registered for the
    // command, set COMP_WORDS/COMP_CWORD, call it with (command, word, previous word).
    const DRIVER: &str = r#"
        source "$1"; shift
        spec=$(complete -p jira-send) || exit 3
        function=${spec#*-F }; function=${function%% *}
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        "$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    for (words, partial, expected) in CASES {
        let output = shell("bash", home.path())
            .args(["--noprofile", "--norc", "-c", DRIVER, "bash"])
            .arg(&script)
            .args(words)
            .arg(partial)
            .output()
            .expect("bash runs");
        let offered = candidates(&output, "bash");
        assert!(
            offered.iter().any(|c| c == expected),
            "bash: `{} {partial}<TAB>` offers {offered:?}, not {expected}",
            words.join(" ")
        );
    }
}

#[test]
#[cfg_attr(skip_fish, ignore = "needs fish on a Unix system (.ci/run installs it)")]
fn fish_completes_subcommand_options() {
    let home = tempfile::tempdir().unwrap();
    let script = script("fish", home.path(), "jira-send.fish");
    for (words, partial, expected) in CASES {
        let line = format!("{} {partial}", words.join(" "));
        let output = shell("fish", home.path())
            .args([
                "--no-config",
                "-c",
                "source $argv[1]; complete --do-complete=$argv[2]",
            ])
            .arg(&script)
            .arg(&line)
            .output()
            .expect("fish runs");
        let offered = candidates(&output, "fish");
        assert!(
            offered.iter().any(|c| c == expected),
            "fish: `{line}<TAB>` offers {offered:?}, not {expected}"
        );
    }
}

/// zsh completes only inside its line editor, so the driver runs an interactive zsh on
/// a pseudo-terminal (`zsh/zpty`), types the line and TAB, and records every candidate
/// the completion system adds (`compadd`, wrapped). Each step waits for a marker the
/// shell prints (and for its prompt), never for a fixed time; a TAB that found nothing
/// is typed again, twice at most, as keys typed while zsh redraws can be dropped.
const ZSH_DRIVER: &str = r#"
dir=$1 line=$2
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PS1='<p''s>' PS2='' RPS1=''"
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a hits; builtin compadd -A hits "$@"; local h; for h in $hits; do print -r -- "<hit>$h</hit>"; done; builtin compadd "$@"; }'
zpty -w z 'bindkey "^I" complete-word; print "<rea""dy>"'
out=
read_until() {
  local chunk; integer tries=0
  while (( tries++ < 600 )); do
    if zpty -r -t z chunk; then out+=$chunk; [[ $out == *"$1"*"$2"* ]] && return 0; else sleep 0.05; fi
  done
  print -u2 "zsh never printed $1 then $2:"; print -u2 -r -- "$out"; return 1
}
# Type only once the line editor shows its prompt: keys typed before it may be lost.
# (Each wait is for one marker, then the prompt after it.)
read_until '<ready>' '<ps>' || exit 4
integer attempt
for attempt in 1 2 3; do
  out=
  zpty -w -n z "$line"$'\t'
  zpty -w -n z $'\C-u'
  zpty -w z "print '<do''ne>'"
  read_until '<done>' '<ps>' || exit 4
  [[ $out == *'<hit>'* ]] && break
done
zpty -d z
print -r -- "$out" | grep -ao '<hit>[^<]*</hit>' | sed 's/<hit>\(.*\)<\/hit>/\1/'
"#;

#[test]
#[cfg_attr(skip_zsh, ignore = "needs zsh on a Unix system (.ci/run installs it)")]
fn zsh_completes_subcommand_options() {
    let home = tempfile::tempdir().unwrap();
    let functions = home.path().join("functions");
    std::fs::create_dir(&functions).unwrap();
    // zsh finds a completion function by its file name on $fpath.
    script("zsh", &functions, "_jira-send");
    for (words, partial, expected) in CASES {
        let line = format!("{} {partial}", words.join(" "));
        let output = shell("zsh", home.path())
            .args(["-f", "-c", ZSH_DRIVER, "zsh"])
            .arg(&functions)
            .arg(&line)
            .output()
            .expect("zsh runs");
        let offered = candidates(&output, "zsh");
        assert!(
            offered.iter().any(|c| c == expected),
            "zsh: `{line}<TAB>` offers {offered:?}, not {expected}"
        );
    }
}
