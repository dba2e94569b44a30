//! Located, user-facing errors for scenario and topology files.
//!
//! Every problem names the file, line and column, the offending key (as a YAML path), what was
//! wrong, what was expected and, where one exists, a suggestion (the nearest valid name).
//! Validation collects every problem it finds; only a YAML syntax or type error stops early,
//! because after it the document's structure is unknown.

use super::files::S;
use serde_saphyr::Location;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in an input file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file (it cannot be read, say).
    pub line: u64,
    pub column: u64,
    /// YAML path of the offending key, e.g. `clients[2].region`.
    pub key: String,
    pub message: String,
    pub expected: Option<String>,
    pub suggestion: Option<String>,
    /// A rendered source excerpt, when the YAML parser supplied one.
    pub snippet: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": error")?;
        if !self.key.is_empty() {
            write!(f, " at `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(expected) = &self.expected {
            write!(f, "\n  expected: {expected}")?;
        }
        if let Some(suggestion) = &self.suggestion {
            write!(f, "\n  help: {suggestion}")?;
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

/// All the problems found in one or more files.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        let count = self.diagnostics.len();
        if count > 1 {
            write!(f, "\n{count} problems found")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

impl From<Diagnostic> for LoadError {
    fn from(diagnostic: Diagnostic) -> Self {
        LoadError { diagnostics: vec![diagnostic] }
    }
}

/// Collects diagnostics for one file during validation.
pub struct Problems {
    file: PathBuf,
    pub list: Vec<Diagnostic>,
}

impl Problems {
    pub fn new(file: &Path) -> Self {
        Problems { file: file.to_path_buf(), list: Vec::new() }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Records a problem at `location`.
    pub fn at(&mut self, location: &Location, key: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.list.push(Diagnostic {
            file: self.file.clone(),
            line: location.line(),
            column: location.column(),
            key: key.into(),
            message: message.into(),
            expected: None,
            suggestion: None,
            snippet: None,
        });
        self.list.last_mut().expect("just pushed")
    }

    /// Records a problem with a spanned value, at the value's position.
    pub fn on<T>(&mut self, value: &S<T>, key: impl Into<String>, message: impl Into<String>) -> &mut Diagnostic {
        self.at(&value.referenced, key, message)
    }

    /// Turns the collected problems into a result.
    pub fn finish<T>(self, value: T) -> Result<T, LoadError> {
        if self.list.is_empty() { Ok(value) } else { Err(LoadError { diagnostics: self.list }) }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl Diagnostic {
    pub fn expected(&mut self, text: impl Into<String>) -> &mut Self {
        self.expected = Some(text.into());
        self
    }

    pub fn suggest(&mut self, text: Option<String>) -> &mut Self {
        self.suggestion = text;
        self
    }

    /// A problem with the file as a whole (it cannot be read, for example).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: message.into(),
            expected: None,
            suggestion: None,
            snippet: None,
        }
    }
}

/// "did you mean `x`?" for the valid name nearest to `given`, when one is near enough to be a
/// plausible misspelling (edit distance at most a third of the name, and at least 1 allowed).
pub fn did_you_mean<'a>(given: &str, valid: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (given.chars().count() / 3).max(2);
    let mut best: Option<(usize, &str)> = None;
    for candidate in valid {
        let distance = edit_distance(given, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, name)| format!("did you mean `{name}`?"))
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    let mut current = vec![0; b_chars.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b_chars.len()]
}

/// Converts a YAML parse or type error into a diagnostic, keeping the parser's excerpt and adding
/// a suggestion for a misspelt key or variant.
pub fn from_yaml_error(file: &Path, error: &serde_saphyr::Error) -> Diagnostic {
    let location = error.location();
    let plain = error.without_snippet();
    let (message, suggestion) = match plain {
        serde_saphyr::Error::SerdeUnknownField { field, expected, .. } => (
            format!("unknown key `{field}`"),
            did_you_mean(field, expected.iter().copied()).or_else(|| Some(format!("valid keys here: {}", expected.join(", ")))),
        ),
        serde_saphyr::Error::SerdeUnknownVariant { variant, expected, .. } => (
            format!("unknown value `{variant}`"),
            did_you_mean(variant, expected.iter().copied()).or_else(|| Some(format!("valid values: {}", expected.join(", ")))),
        ),
        other => (strip_location_prefix(&other.to_string()), None),
    };
    let name = file.display().to_string();
    let options = serde_saphyr::render_options! { source_name: Some(name.as_str()) };
    let rendered = error.render_with_options(options);
    let snippet = rendered.lines().skip(1).collect::<Vec<_>>().join("\n");
    Diagnostic {
        file: file.to_path_buf(),
        line: location.map_or(0, |l| l.line()),
        column: location.map_or(0, |l| l.column()),
        key: String::new(),
        message,
        expected: None,
        suggestion,
        snippet: (!snippet.trim().is_empty()).then_some(snippet),
    }
}

/// serde-saphyr prefixes messages with "error: line L column C: "; we print our own location.
fn strip_location_prefix(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message);
    let without_error = first_line.strip_prefix("error: ").unwrap_or(first_line);
    match without_error.find(": ") {
        Some(index) if without_error.starts_with("line ") => without_error[index + 2..].to_string(),
        _ => without_error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name_only_when_plausible() {
        let regions = ["frankfurt", "london", "tokyo"];
        assert_eq!(did_you_mean("frankfrut", regions), Some("did you mean `frankfurt`?".into()));
        assert_eq!(did_you_mean("tokio", regions), Some("did you mean `tokyo`?".into()));
        assert_eq!(did_you_mean("sydney", regions), None);
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
