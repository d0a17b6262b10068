#!/usr/bin/env python3
"""The GitLab CI/CD component (templates/jira-send.yml), checked as GitLab would use it.

    gitlab-component.py check JIRA_SEND_BINARY   render, validate, install and run it
    gitlab-component.py sync                     copy the Jenkins library's install.sh
                                                 into the component's script

`check` renders the component's job the way GitLab interpolates `$[[ inputs.x ]]`
(typed inputs, options, regex), validates the spec header, the rendered jobs and the
example pipeline with check-jsonschema's GitLab CI schema, makes sure the embedded
install script is the Jenkins library's, then runs the rendered job's script in a
GitLab-like environment against a fake release on loopback: a verified install that
runs jira-send (a dry run of a build, then of a deployment with the example's
--since-deployment gitlab), a cache hit without network, and a refused bad checksum.
Needs ruamel.yaml and check-jsonschema (the venv .ci/run makes).
"""

import hashlib
import http.server
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
COMPONENT = ROOT / "templates" / "jira-send.yml"
INSTALL = ROOT / "jenkins" / "resources" / "io" / "jirasend" / "install.sh"
EXAMPLE = ROOT / "examples" / "gitlab-component" / ".gitlab-ci.yml"
HEREDOC = re.compile(r"(<<'JIRA_SEND_INSTALL'\n)(.*?\n)?(\s*JIRA_SEND_INSTALL\n)", re.S)
INTERPOLATION = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def yaml():
    y = YAML(typ="safe", pure=True)
    return y


def documents(path):
    """The spec header and the configuration, as GitLab splits a component file."""
    header, body = path.read_text().split("\n---\n", 1)
    return yaml().load(header), yaml().load(body)


def resolve_inputs(spec, given):
    """The value of each input, checked as GitLab checks typed inputs."""
    declared = spec["spec"]["inputs"]
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError(f"unknown inputs: {sorted(unknown)}")
    values = {}
    for name, rule in declared.items():
        rule = rule or {}
        if name in given:
            value = given[name]
        elif "default" in rule:
            value = rule["default"]
        else:
            raise ValueError(f"input {name} is required")
        kind = rule.get("type", "string")
        types = {"string": str, "number": (int, float), "boolean": bool, "array": list}
        if not isinstance(value, types[kind]) or (kind == "number" and isinstance(value, bool)):
            raise ValueError(f"input {name} must be a {kind}")
        if "options" in rule and value not in rule["options"]:
            raise ValueError(f"input {name}: {value!r} is not one of {rule['options']}")
        if "regex" in rule and not re.search(rule["regex"], value):
            raise ValueError(f"input {name}: {value!r} does not match {rule['regex']}")
        values[name] = value
    return values


def interpolate(node, values):
    """Substitutes inputs in keys and values; a value that is one interpolation keeps its type."""
    if isinstance(node, dict):
        return {interpolate(k, values): interpolate(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, values) for v in node]
    if isinstance(node, str):
        whole = INTERPOLATION.fullmatch(node.strip())
        if whole:
            return values[whole.group(1)]
        rendered = INTERPOLATION.sub(lambda m: str(values[m.group(1)]), node)
        if "$[[" in rendered:
            raise ValueError(f"uninterpolated reference in {node!r}")
        return rendered
    return node


def render(given):
    spec, body = documents(COMPONENT)
    return interpolate(body, resolve_inputs(spec, given))


def dump(data, path):
    y = YAML()
    y.default_flow_style = False
    with open(path, "w") as f:
        y.dump(data, f)


def check_schema(paths):
    tool = Path(sys.executable).parent / "check-jsonschema"
    subprocess.run([str(tool), "--regex-variant", "nonunicode", "--builtin-schema", "vendor.gitlab-ci",
                    *map(str, paths)], check=True)


def embedded_install(job):
    match = HEREDOC.search(job["script"][0])
    assert match, "the component's first script item installs jira-send from a heredoc"
    return match.group(2) or ""


def sync():
    text = COMPONENT.read_text()
    match = HEREDOC.search(text)
    indent = re.match(r"\s*", match.group(3)).group(0)
    body = "".join(indent + line if line.strip() else line
                   for line in INSTALL.read_text().splitlines(keepends=True))
    COMPONENT.write_text(text[:match.start(2) if match.group(2) else match.end(1)] + body + text[match.start(3):])
    print(f"{COMPONENT.relative_to(ROOT)}: install script synced from {INSTALL.relative_to(ROOT)}")


class Release:
    """A release server on loopback: a tree of files under download/<version>/."""

    def __init__(self, root):
        self.root = root
        self.requests = []
        release = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self):
                release.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, version, archive_name, archive, sums=None):
        folder = self.root / "download" / version
        folder.mkdir(parents=True)
        (folder / archive_name).write_bytes(archive)
        digest = sums or hashlib.sha256(archive).hexdigest()
        (folder / "SHA256SUMS").write_text(f"{digest}  {archive_name}\n")


def target():
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]
    return f"{machine}-unknown-linux-musl" if sys.platform.startswith("linux") else f"{machine}-apple-darwin"


def run_job(job, workdir, env):
    """The job's script as a GitLab runner runs it: one shell, `set -e`, in the project."""
    script = workdir.parent / "job.sh"
    script.write_text("set -e\n" + "\n".join(job["script"]) + "\n")
    return subprocess.run(["sh", str(script)], cwd=workdir, env=env, capture_output=True, text=True)


def job_environment(job, base):
    """The job's variables, with `$VAR` references expanded from the predefined ones."""
    env = dict(base)
    for name, value in job["variables"].items():
        env[name] = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: base.get(m.group(1), ""), str(value))
    return env


def check(binary):
    spec, _ = documents(COMPONENT)
    defaults = render({})
    assert list(defaults) == ["jira-send"]
    assert defaults["jira-send"]["variables"]["JIRA_SEND_STATE"] == "successful"
    deployment = render({"job-name": "jira-deployment-production", "command": "deployment",
                         "environment": "Production EU", "stage": "deploy", "state": "failed", "when": "on_failure",
                         "args": "--since-deployment gitlab", "version": "1.4.0", "image": "debian:bookworm-slim"})
    job = deployment["jira-deployment-production"]
    assert job["variables"] == {
        "JIRA_SEND_COMMAND": "deployment", "JIRA_SEND_ENVIRONMENT": "Production EU", "JIRA_SEND_STATE": "failed",
        "JIRA_SEND_ARGS": "--since-deployment gitlab", "JIRA_SEND_VERSION": "1.4.0",
        "JIRA_SEND_TOOL_CACHE": "$CI_PROJECT_DIR/.jira-send"}
    assert (job["stage"], job["when"], job["image"], job["cache"]["key"]) == \
        ("deploy", "on_failure", "debian:bookworm-slim", "jira-send-1.4.0")
    # No input value is ever part of the script's text.
    assert "$[[" not in COMPONENT.read_text().split("  script:", 1)[1]
    for bad in [{"command": "rm -rf /"}, {"version": "1.0; curl evil"}, {"state": "done"}, {"colour": "red"}]:
        try:
            render(bad)
        except ValueError as refused:
            print(f"refused as GitLab would: {refused}")
        else:
            raise AssertionError(f"{bad} should be refused")
    assert embedded_install(job) == INSTALL.read_text(), \
        "the component's install script differs from the Jenkins library's: run .ci/gitlab-component.py sync"

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dump(spec, tmp / "spec.yml")
        dump(defaults, tmp / "defaults.yml")
        dump(deployment, tmp / "deployment.yml")
        check_schema([tmp / "spec.yml", tmp / "defaults.yml", tmp / "deployment.yml", EXAMPLE])
        run_install(binary, tmp)
    print("GitLab component: rendered jobs valid, install script verified and run")


def run_install(binary, tmp):
    project = tmp / "project"
    project.mkdir()
    git = {"HOME": str(tmp), "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ["PATH"],
           "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}
    for command in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "ABC-7 Pay by card"]):
        subprocess.run(["git", *command], cwd=project, env=git, check=True)
    (project / "a.xml").write_text("<testsuite/>")
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, env=git, check=True,
                         capture_output=True, text=True).stdout.strip()

    name = f"jira-send-{target()}.tar.gz"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz", compresslevel=1) as tar:
        tar.add(binary, arcname="jira-send")
    release = Release(tmp / "releases")
    release.publish("v9.8.7", name, archive.getvalue())
    release.publish("v9.8.8", name, archive.getvalue(), sums="ab" * 32)

    gitlab = {
        "PATH": "/usr/bin:/bin", "HOME": str(tmp / "home"), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
        "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(project), "CI_PROJECT_PATH": "acme/app",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/app", "CI_PIPELINE_IID": "17",
        "CI_PIPELINE_URL": "https://gitlab.example.com/acme/app/-/pipelines/1017", "CI_COMMIT_SHA": sha,
        "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main", "CI_JOB_STATUS": "running",
        "JIRA_SEND_RELEASE_URL": release.url,
    }
    assert shutil.which("jira-send", path=gitlab["PATH"]) is None
    job = render({"version": "9.8.7", "args": "--dry-run --output json --label *.xml"})["jira-send"]
    ran = run_job(job, project, job_environment(job, gitlab))
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    build = report["sites"][0]["requests"][0]["body"]["builds"][0]
    assert report["dryRun"] is True and report["issueKeys"] == ["ABC-7"]
    # The state is the input's, not the running job's; the glob reached jira-send as written.
    assert (build["pipelineId"], build["buildNumber"], build["state"], build["label"]) == \
        ("acme/app", 17, "successful", "*.xml")
    installed = project / ".jira-send" / "v9.8.7" / target() / "jira-send"
    assert installed.is_file() and f"installed v9.8.7 ({target()})" in ran.stderr
    assert release.requests == ["/download/v9.8.7/SHA256SUMS", f"/download/v9.8.7/{name}"]

    # The example's deployment job, as a dry run: the binary takes the component's args
    # (--since-deployment gitlab), and the lookup, offline, reads the range of a build.
    deploy = render({"job-name": "deploy", "command": "deployment", "environment": "Production EU",
                     "version": "9.8.7", "args": "--since-deployment gitlab --dry-run --output json"})["deploy"]
    deployed = run_job(deploy, project, job_environment(deploy, gitlab))
    assert deployed.returncode == 0, deployed.stderr
    report = json.loads(deployed.stdout)
    assert (report["issueKeys"], report["range"]["fromSource"]) == (["ABC-7"], "head"), report
    assert report["sites"][0]["requests"][0]["body"]["deployments"][0]["environment"]["id"] == "production-eu"
    assert len(release.requests) == 2, "installed once, by the first job"

    again = run_job(job, project, job_environment(job, gitlab))
    assert again.returncode == 0, again.stderr
    assert len(release.requests) == 2, "a fixed version in the cache needs no download"

    # An image with wget and no curl (alpine's busybox) takes the same path.
    tools = tmp / "tools"
    tools.mkdir()
    for tool in ["sh", "uname", "mkdir", "mktemp", "rm", "awk", "tr", "cut", "sha256sum", "cat", "tar", "gzip",
                 "chmod", "mv", "wget"]:
        (tools / tool).symlink_to(shutil.which(tool))
    shutil.rmtree(project / ".jira-send")
    wget = run_job(job, project, job_environment(job, dict(gitlab, PATH=str(tools))))
    assert wget.returncode == 0, wget.stderr
    assert json.loads(wget.stdout)["dryRun"] is True and len(release.requests) == 4

    bad = render({"version": "9.8.8"})["jira-send"]
    refused = run_job(bad, project, job_environment(bad, gitlab))
    assert refused.returncode != 0
    assert f"checksum mismatch for {name}: expected {'ab' * 32}" in refused.stderr, refused.stderr
    assert not (project / ".jira-send" / "v9.8.8" / target() / "jira-send").exists()
    release.server.shutdown()


if __name__ == "__main__":
    if sys.argv[1:] == ["sync"]:
        sync()
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(Path(sys.argv[2]).resolve())
    else:
        sys.exit(__doc__)
