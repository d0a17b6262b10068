#!/bin/sh
# Finds jira-send, or installs a release binary whose SHA-256 was checked; prints the
# binary's path as the only line on stdout (messages go to stderr).
#
# The Jenkins steps (jenkins/) and the GitLab component (templates/jira-send.yml) run
# this same text: a test keeps the two copies identical. Everything comes from the
# environment, nothing is interpolated into the script:
#   JIRA_SEND_BIN          use this binary (checked to be executable), no download
#   JIRA_SEND_VERSION      release to install when jira-send is not on the PATH:
#                          latest (default), 1.2.3 or v1.2.3
#   JIRA_SEND_RELEASE_URL  where releases live (a mirror, a proxy); default
#                          https://github.com/jira-send/jira-send/releases
#   JIRA_SEND_TOOL_CACHE   the directory binaries are kept in, one per version and
#                          platform; default ${XDG_CACHE_HOME:-$HOME/.cache}/jira-send
#   JIRA_SEND_SHA256       the archive's expected SHA-256, to pin it instead of
#                          trusting the release's SHA256SUMS file
set -eu

say() { printf 'jira-send install: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

if [ -n "${JIRA_SEND_BIN:-}" ]; then
    [ -f "$JIRA_SEND_BIN" ] && [ -x "$JIRA_SEND_BIN" ] || fail "JIRA_SEND_BIN ($JIRA_SEND_BIN) is not an executable file"
    printf '%s\n' "$JIRA_SEND_BIN"
    exit 0
fi
if found="$(command -v jira-send 2>/dev/null)" && [ -n "$found" ]; then
    say "using $found from the PATH"
    printf '%s\n' "$found"
    exit 0
fi

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-musl ;;
    Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
    Darwin/x86_64) target=x86_64-apple-darwin ;;
    Darwin/arm64) target=aarch64-apple-darwin ;;
    *) fail "no release binary for $(uname -s)/$(uname -m): put jira-send on the PATH or set JIRA_SEND_BIN" ;;
esac

version="${JIRA_SEND_VERSION:-latest}"
case "$version" in
    latest) ;;
    v[0-9]* | [0-9]*) version="v${version#v}" ;;
    *) fail "JIRA_SEND_VERSION must be latest or a release number such as 1.2.3, not '$version'" ;;
esac
case "$version" in
    *[!A-Za-z0-9._+-]*) fail "JIRA_SEND_VERSION '$version' has characters a release number does not" ;;
esac
releases="${JIRA_SEND_RELEASE_URL:-https://github.com/jira-send/jira-send/releases}"
releases="${releases%/}"
if [ "$version" = latest ]; then
    base="$releases/latest/download"
else
    base="$releases/download/$version"
fi
archive="jira-send-$target.tar.gz"
cache="${JIRA_SEND_TOOL_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/jira-send}"
dir="$cache/$version/$target"

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    else
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    fi
}

download() { # URL FILE
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 --connect-timeout 30 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
    else
        fail "neither curl nor wget is installed"
    fi
}

# A binary installed earlier is used again while it and the archive it came from still
# have the checksums recorded when the archive was verified (and the archive's is the
# expected one, when known); a fixed release number needs no network for it.
installed() {
    [ -x "$dir/jira-send" ] && [ -f "$dir/$archive" ] && [ -f "$dir/$archive.sha256" ] \
        && [ -f "$dir/jira-send.sha256" ] \
        && [ "$(sha256 "$dir/$archive")" = "$(cat "$dir/$archive.sha256")" ] \
        && [ "$(sha256 "$dir/jira-send")" = "$(cat "$dir/jira-send.sha256")" ] \
        && { [ -z "${1:-}" ] || [ "$1" = "$(cat "$dir/$archive.sha256")" ]; }
}

pin="$(printf '%s' "${JIRA_SEND_SHA256:-}" | tr 'A-F' 'a-f')"
if [ "$version" != latest ] && installed "$pin"; then
    printf '%s\n' "$dir/jira-send"
    exit 0
fi

mkdir -p "$dir"
work="$(mktemp -d "$dir/.download.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ -n "$pin" ]; then
    expected="$pin"
else
    download "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "cannot download $base/SHA256SUMS"
    expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS" | tr 'A-F' 'a-f')"
    [ -n "$expected" ] || fail "$base/SHA256SUMS lists no $archive"
fi
case "$expected" in
    *[!0-9a-f]* | "") fail "'$expected' is not a SHA-256" ;;
esac
[ "${#expected}" -eq 64 ] || fail "'$expected' is not a SHA-256"

if installed "$expected"; then
    printf '%s\n' "$dir/jira-send"
    exit 0
fi

say "downloading $base/$archive"
download "$base/$archive" "$work/$archive" || fail "cannot download $base/$archive"
actual="$(sha256 "$work/$archive")"
[ "$actual" = "$expected" ] || fail "checksum mismatch for $archive: expected $expected, got $actual; not installed"
mkdir "$work/x"
tar -xzf "$work/$archive" -C "$work/x" jira-send || fail "$archive holds no jira-send binary"
[ -f "$work/x/jira-send" ] && [ ! -h "$work/x/jira-send" ] || fail "$archive holds no jira-send binary"
chmod 755 "$work/x/jira-send"

# Renames within one directory: a concurrent run sees the old binary or the new one.
printf '%s\n' "$expected" > "$work/$archive.sha256"
sha256 "$work/x/jira-send" > "$work/jira-send.sha256"
mv -f "$work/x/jira-send" "$dir/jira-send"
mv -f "$work/jira-send.sha256" "$dir/jira-send.sha256"
mv -f "$work/$archive" "$dir/$archive"
mv -f "$work/$archive.sha256" "$dir/$archive.sha256"
say "installed $version ($target) in $dir, SHA-256 $expected"
printf '%s\n' "$dir/jira-send"
