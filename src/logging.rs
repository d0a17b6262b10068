//! Logs: to stderr, one plain line per event (`jira-send: warning: …`), so they read
//! well in any CI log and never mix with the results on stdout.
//!
//! The level comes from `-q` (errors only), nothing (warnings), `-v` (info), `-vv`
//! (debug: every request and its status) or `-vvv` (trace, including the HTTP stack);
//! `JIRA_SEND_LOG`, then `RUST_LOG`, replace it with a full filter.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::env::{Env, vars};

/// Starts logging at the level `-q` (`quiet`) and `-v` (`verbose`, counted) ask for,
/// unless a filter variable says otherwise.
pub fn init(quiet: bool, verbose: u8, env: &Env) {
    let filter = env
        .get(vars::JIRA_SEND_LOG)
        .or_else(|| env.get("RUST_LOG"))
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default_filter(quiet, verbose)));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .event_format(Line)
        .init();
}

fn default_filter(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,jira_send=info",
        (false, 2) => "warn,jira_send=debug",
        (false, _) => "trace",
    }
}

/// `jira-send: warning: message key=value`.
struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        // Formatted apart first, so that no secret, escape sequence or workflow command
        // reaches stderr whatever logged it (a server's echo, a dependency's trace).
        let mut fields = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut fields), event)?;
        let fields = crate::mask::mask(&fields);
        writeln!(writer, "jira-send: {level}: {}", crate::printable::lines(&fields))
    }
}
