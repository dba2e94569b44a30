//! Paths into a document, `clients[0].retries.max` or `regions.new-york.latency_ms.p99`: the
//! one grammar for a variant's `set:`, a sweep's `--set` and an expectation's metrics.

/// One step of a path: a mapping key (or, in a list of named things, a name), or a list index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[0].c` into steps. Keys are letters, digits, `_`, `-` and `@` (`app@tokyo`).
pub fn parse(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@')) {
            return Err(format!("`{path}` is not a path (at `{part}`)"));
        }
        steps.push(Step::Key(key));
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| format!("`{path}` has an unclosed `[`"))?;
            let index = inner[..close].parse().map_err(|_| format!("`{}` is not an index in `{path}`", &inner[..close]))?;
            steps.push(Step::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("`{path}` is not a path (at `{rest}`)"));
        }
    }
    Ok(steps)
}

/// The steps written back as a path, for messages.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_indices_and_names() {
        assert_eq!(
            parse("clients[0].retries.max").unwrap(),
            vec![Step::Key("clients"), Step::Index(0), Step::Key("retries"), Step::Key("max")]
        );
        assert_eq!(parse("populations.app@tokyo.x[1][2]").unwrap().len(), 5);
        assert_eq!(render(&parse("a[3].b-c").unwrap()), "a[3].b-c");
        assert!(parse("a[x]").unwrap_err().contains("not an index"));
        assert!(parse("a[1").unwrap_err().contains("unclosed"));
        assert!(parse("a..b").unwrap_err().contains("not a path"));
        assert!(parse("a[1]b").unwrap_err().contains("not a path (at `b`)"));
    }
}
