//! A JUnit XML report of `planetsim check`, the format CI systems read test results in.
//! One test suite per scenario file, one test case per expectation (and variant). No timings
//! are written, so the same check writes the same bytes.

use crate::report::html::escape;

/// One scenario file's results.
pub struct Suite {
    /// The file's path.
    pub name: String,
    /// The class name of its test cases (the file's stem).
    pub class: String,
    pub cases: Vec<Case>,
    /// The file could not be loaded or its expectations name metrics that do not exist.
    pub error: Option<String>,
}

pub struct Case {
    pub name: String,
    /// `(message, details)` when it failed.
    pub failure: Option<(String, String)>,
}

impl Suite {
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
    }

    pub fn passed(&self) -> usize {
        self.cases.len() - self.failed()
    }
}

pub fn render(suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|s| s.cases.len().max(usize::from(s.error.is_some()))).sum();
    let failures: usize = suites.iter().map(Suite::failed).sum();
    let errors = suites.iter().filter(|s| s.error.is_some()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"planetsim check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"));
    for suite in suites {
        let failed = suite.failed();
        let (count, errored) = (suite.cases.len().max(usize::from(suite.error.is_some())), usize::from(suite.error.is_some()));
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{count}\" failures=\"{failed}\" errors=\"{errored}\">\n",
            escape(&suite.name)
        ));
        if let Some(error) = &suite.error {
            out.push_str(&format!("    <testcase classname=\"{}\" name=\"load\">\n", escape(&suite.class)));
            out.push_str(&format!("      <error message=\"bad input\">{}</error>\n    </testcase>\n", escape(error)));
        }
        for case in &suite.cases {
            let open = format!("    <testcase classname=\"{}\" name=\"{}\"", escape(&suite.class), escape(&case.name));
            match &case.failure {
                None => out.push_str(&format!("{open}/>\n")),
                Some((message, details)) => out.push_str(&format!(
                    "{open}>\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(message),
                    escape(details)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let suites = vec![
            Suite {
                name: "a.yaml".into(),
                class: "a".into(),
                cases: vec![
                    Case { name: "x < 1".into(), failure: None },
                    Case { name: "y > \"2\"".into(), failure: Some(("1 is not > 2".into(), "reproduce: run & see".into())) },
                ],
                error: None,
            },
            Suite { name: "b.yaml".into(), class: "b".into(), cases: vec![], error: Some("b.yaml:3:1: error\u{1}".into()) },
        ];
        let xml = render(&suites);
        assert!(xml.contains("<testsuites name=\"planetsim check\" tests=\"3\" failures=\"1\" errors=\"1\">"));
        assert!(xml.contains("name=\"x &lt; 1\"/>"));
        assert!(xml.contains("name=\"y &gt; &quot;2&quot;\">"));
        assert!(xml.contains("<failure message=\"1 is not &gt; 2\">reproduce: run &amp; see</failure>"));
        assert!(xml.contains("<error message=\"bad input\">b.yaml:3:1: error</error>"));
    }
}
