//! Test counts from JUnit XML reports (Maven Surefire, pytest, Jest, Go's JUnit
//! formatters, cargo nextest, …), for a build's `testInfo`.
//!
//! Reports are streamed, never loaded whole. Test cases are counted one by one: a case
//! with a `<failure>` or `<error>` failed, one with `<skipped>` was skipped, any other
//! passed. Suite attributes (`tests=`, `failures=`) are used only for a report without
//! test cases, and only those of the outermost suites, so nested `<testsuite>`s are not
//! counted twice. A report that is missing or malformed is a warning, never a failure.

use std::io::BufRead;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use tracing::warn;

/// Counts over all reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    fn add(&mut self, other: Self) {
        self.total += other.total;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// The counts of every report matching the `patterns` (globs), or `None` when no
/// report could be read.
pub fn read(patterns: &[String]) -> Option<Counts> {
    let mut counts = Counts::default();
    let mut read_any = false;
    for pattern in patterns {
        let paths = match glob::glob(pattern) {
            Ok(paths) => paths.filter_map(Result::ok).collect::<Vec<_>>(),
            Err(e) => {
                warn!("--junit {pattern}: not a valid pattern ({e})");
                continue;
            }
        };
        if paths.is_empty() {
            warn!("--junit {pattern}: no report matches; test counts leave it out");
        }
        for path in paths {
            match read_file(&path) {
                Ok(report) => {
                    counts.add(report);
                    read_any = true;
                }
                Err(e) => warn!("skipping the JUnit report {}: {e}", path.display()),
            }
        }
    }
    read_any.then_some(counts)
}

fn read_file(path: &Path) -> Result<Counts, String> {
    let file = crate::fs::open_bounded(path, crate::fs::limit::JUNIT).map_err(|e| e.to_string())?;
    parse(std::io::BufReader::new(file))
}

/// Counts the test cases of one report.
pub fn parse(input: impl BufRead) -> Result<Counts, String> {
    let mut reader = Reader::from_reader(input);
    let mut buffer = Vec::new();
    let mut cases = Counts::default();
    let mut from_suites = Counts::default();
    let mut suite_depth = 0usize;
    // The outcome of the test case being read: failed, skipped.
    let mut case: Option<(bool, bool)> = None;
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("not valid XML: {e}"))?;
        match event {
            Event::Start(element) if element.local_name().as_ref() == "testsuite" => {
                saw_root = true;
                if suite_depth == 0 {
                    from_suites.add(suite_attributes(&element));
                }
                suite_depth += 1;
            }
            Event::Empty(element) if element.local_name().as_ref() == "testsuite" => {
                saw_root = true;
                if suite_depth == 0 {
                    from_suites.add(suite_attributes(&element));
                }
            }
            Event::Start(element) if element.local_name().as_ref() == "testcase" => {
                case = Some((false, false));
            }
            Event::Empty(element) if element.local_name().as_ref() == "testcase" => {
                cases.total += 1;
            }
            Event::Start(element) | Event::Empty(element) if case.is_some() => {
                if let Some((failed, skipped)) = case.as_mut() {
                    match element.local_name().as_ref() {
                        "failure" | "error" => *failed = true,
                        "skipped" => *skipped = true,
                        _ => {}
                    }
                }
            }
            Event::Start(element) if element.local_name().as_ref() == "testsuites" => saw_root = true,
            Event::End(element) if element.local_name().as_ref() == "testcase" => {
                if let Some((failed, skipped)) = case.take() {
                    cases.total += 1;
                    if failed {
                        cases.failed += 1;
                    } else if skipped {
                        cases.skipped += 1;
                    }
                }
            }
            Event::End(element) if element.local_name().as_ref() == "testsuite" => {
                suite_depth = suite_depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !saw_root {
        return Err("no <testsuite> or <testsuites> element: not a JUnit report".into());
    }
    Ok(if cases.total > 0 { cases } else { from_suites })
}

fn suite_attributes(element: &BytesStart<'_>) -> Counts {
    let number = |name: &[u8]| -> u64 {
        element
            .attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref().as_bytes() == name)
            .and_then(|a| a.value.trim().parse().ok())
            .unwrap_or(0)
    };
    let total = number(b"tests");
    let failed = (number(b"failures") + number(b"errors")).min(total);
    let skipped = (number(b"skipped") + number(b"disabled")).min(total - failed);
    Counts {
        total,
        failed,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report's (total, failed, skipped).
    fn counts(xml: &str) -> (u64, u64, u64) {
        let Counts {
            total,
            failed,
            skipped,
        } = parse(xml.as_bytes()).unwrap();
        (total, failed, skipped)
    }

    #[test]
    fn maven_surefire() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="com.acme.AppTest" time="0.12" tests="4" errors="1" skipped="1" failures="0">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="adds" classname="com.acme.AppTest" time="0.01"/>
  <testcase name="flaky" classname="com.acme.AppTest" time="0.01"><flakyFailure message="once"/></testcase>
  <testcase name="breaks" classname="com.acme.AppTest" time="0.02"><error message="boom" type="java.lang.IllegalStateException">trace</error></testcase>
  <testcase name="later" classname="com.acme.AppTest" time="0"><skipped/></testcase>
</testsuite>"#;
        assert_eq!(counts(xml), (4, 1, 1));
    }

    #[test]
    fn pytest() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3" time="0.5" timestamp="2026-11-22T10:00:00" hostname="ci"><testcase classname="tests.test_app" name="test_ok" time="0.001" /><testcase classname="tests.test_app" name="test_bad" time="0.002"><failure message="assert 1 == 2">def test_bad(): ...</failure></testcase><testcase classname="tests.test_app" name="test_skip" time="0.000"><skipped type="pytest.skip" message="not on CI">skip</skipped></testcase></testsuite></testsuites>"#;
        assert_eq!(counts(xml), (3, 1, 1));
    }

    #[test]
    fn jest_junit() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="1.2">
  <testsuite name="cart" errors="0" failures="1" skipped="0" timestamp="2026-11-22T10:00:00" time="0.4" tests="3">
    <testcase classname="cart adds items" name="cart adds items" time="0.01"></testcase>
    <testcase classname="cart totals" name="cart totals" time="0.02">
      <failure>Error: expect(received).toBe(expected)</failure>
    </testcase>
    <testcase classname="cart empties" name="cart empties" time="0.01"></testcase>
  </testsuite>
</testsuites>"#;
        assert_eq!(counts(xml), (3, 1, 0));
    }

    #[test]
    fn go_junit_report_and_nextest_with_nested_suites() {
        let xml = r#"<testsuites tests="4" failures="1">
  <testsuite name="acme/app" tests="4" failures="1" skipped="1">
    <testsuite name="acme/app/inner" tests="2">
      <testcase name="TestInner" classname="acme/app/inner"/>
      <testcase name="TestInnerSkip" classname="acme/app/inner"><skipped message="skip"/></testcase>
    </testsuite>
    <testcase name="TestA" classname="acme/app" time="0.00"/>
    <testcase name="TestB" classname="acme/app" time="0.00"><failure message="Failed" type="">app_test.go:12: no</failure></testcase>
  </testsuite>
</testsuites>"#;
        assert_eq!(counts(xml), (4, 1, 1));
    }

    #[test]
    fn summary_only_reports_use_the_outermost_suites() {
        let xml = r#"<testsuites><testsuite tests="10" failures="2" errors="1" skipped="3"><testsuite tests="10" failures="2"/></testsuite><testsuite tests="5"/></testsuites>"#;
        assert_eq!(counts(xml), (15, 3, 3));
    }

    #[test]
    fn malformed_reports_are_errors_not_panics() {
        assert!(parse("<testsuite><testcase></testsuite>".as_bytes()).is_err());
        assert!(parse("not xml at all <".as_bytes()).is_err());
        assert!(parse("<html><body/></html>".as_bytes()).is_err());
        assert!(parse("".as_bytes()).is_err());
    }

    #[test]
    fn globs_sum_reports_and_skip_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.xml"),
            r#"<testsuite><testcase name="x"/></testsuite>"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.xml"),
            r#"<testsuite><testcase name="y"><failure/></testcase></testsuite>"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("c.xml"), "<broken").unwrap();
        let pattern = format!("{}/*.xml", dir.path().display());
        assert_eq!(
            read(&[pattern]),
            Some(Counts {
                total: 2,
                failed: 1,
                skipped: 0
            })
        );
        assert_eq!(read(&[format!("{}/none-*.xml", dir.path().display())]), None);
    }

    #[test]
    fn large_reports_stream() {
        let mut xml = String::from("<testsuites><testsuite>");
        for i in 0..50_000 {
            xml.push_str(&format!(
                "<testcase name=\"t{i}\"><system-out>{}</system-out></testcase>",
                "x".repeat(20)
            ));
        }
        xml.push_str("</testsuite></testsuites>");
        assert_eq!(counts(&xml).0, 50_000);
    }
}
