//! Names that do not resolve: only a site's is a setting to fix (exit 3, nothing
//! queued, see `faults::a_site_that_does_not_resolve_fails_at_once_naming_the_setting`);
//! the token endpoint's, an API's or a proxy's is an outage (DNS filtering, a
//! split-horizon resolver): exit 4, the report queued, the message naming the setting.
//! Names under `.invalid` never resolve (RFC 6761), without asking any resolver.

use crate::common::{FakeJira, SIMPLE_BUILD, json, stderr};

/// The outbox files of `home`'s default outbox.
fn queued(home: &std::path::Path) -> usize {
    std::fs::read_dir(home.join("jira-send-cache/outbox"))
        .into_iter()
        .flatten()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|e| e == "json")
        })
        .count()
}

#[tokio::test]
async fn a_token_endpoint_api_or_proxy_that_does_not_resolve_is_an_outage() {
    let jira = FakeJira::start().await;
    let site = jira.uri();
    // The options, a proxy variable, and what the error says.
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 3] = [
        (
            &[
                "--api-url",
                &site,
                "--token-url",
                "https://auth.invalid/oauth/token",
            ],
            None,
            "auth.invalid does not resolve: check --token-url or JIRA_SEND_TOKEN_URL",
        ),
        (
            &[
                "--api-url",
                "https://api.invalid",
                "--token-url",
                &format!("{site}/oauth/token"),
            ],
            None,
            "api.invalid does not resolve: check --api-url or JIRA_SEND_API_URL",
        ),
        (
            // The token request goes to an https endpoint, through the proxy.
            &[
                "--api-url",
                &site,
                "--token-url",
                "https://auth.example.com/oauth/token",
            ],
            Some(("HTTPS_PROXY", "http://user:pw@proxy.invalid:3128")),
            "proxy.invalid does not resolve: check the proxy in HTTPS_PROXY",
        ),
    ];
    for (args, proxy, said) in cases {
        let home = tempfile::tempdir().unwrap();
        let mut command = crate::common::jira_send(home.path());
        command
            .envs(FakeJira::credentials())
            .args(["--site", &site])
            .args(args);
        if let Some((variable, value)) = proxy {
            command.env(variable, value);
        }
        let output = command
            .args(SIMPLE_BUILD)
            .args(["--output", "json", "--timeout", "5s"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(4), "{said}: {}", stderr(&output));
        let report = json(&output);
        let error = report["sites"][0]["error"].as_str().unwrap_or_default();
        assert!(error.contains(said), "{error}");
        assert!(!error.contains("pw@"), "{error}");
        assert!(report["sites"][0]["outbox"].is_string(), "{report:#}");
        assert_eq!(queued(home.path()), 1, "{said}: the report is queued");
    }
}
