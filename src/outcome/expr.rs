//! The expectation language: `left op right`, where each side is arithmetic over numbers and
//! metrics, for example `hardened.availability > naive.availability + 0.05`,
//! `latency_ms.p99 < 200` or `requests.amplification ≈ 6 ± 5%`.
//!
//! A metric is a path into a run's summary (`regions.frankfurt.latency_ms.p99`), optionally
//! prefixed by a variant's name. Binary `+` and `-` need spaces around them, because `-` is also
//! part of names (`new-york`).

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Number(f64),
    Metric(MetricRef),
    Negate(Box<Expr>),
    Binary(Box<Expr>, Arith, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Subtract,
    Multiply,
    Divide,
}

/// A metric of one variant's summary (`variant: None`: the variant the expectation is checked on).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricRef {
    pub variant: Option<String>,
    pub path: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    /// Exact (to a millionth, the precision of the summary's decimals).
    Equal,
    /// Within a tolerance of the right side.
    Approximately(Tolerance),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    Absolute(f64),
    /// A share of the right side's magnitude (`± 5%` is 0.05).
    Relative(f64),
}

/// A parsed expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub left: Expr,
    pub comparison: Comparison,
    pub right: Expr,
}

/// Two values closer than this are equal for `==`: summaries round to 6 decimals.
pub const EQUAL_WITHIN: f64 = 1e-6;

impl Comparison {
    /// Whether `left op right` holds.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Less => left < right,
            Comparison::LessOrEqual => left <= right,
            Comparison::Greater => left > right,
            Comparison::GreaterOrEqual => left >= right,
            Comparison::Equal => (left - right).abs() <= EQUAL_WITHIN * right.abs().max(1.0),
            Comparison::Approximately(tolerance) => (left - right).abs() <= tolerance.width(right) + EQUAL_WITHIN,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "≤",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => "≥",
            Comparison::Equal => "==",
            Comparison::Approximately(_) => "≈",
        }
    }
}

impl Tolerance {
    /// The half-width of the band around `centre`.
    pub fn width(self, centre: f64) -> f64 {
        match self {
            Tolerance::Absolute(width) => width,
            Tolerance::Relative(share) => share * centre.abs(),
        }
    }
}

impl Expr {
    /// Every metric the expression reads, in the order written.
    pub fn metrics(&self) -> Vec<&MetricRef> {
        let mut found = Vec::new();
        self.collect(&mut found);
        found
    }

    fn collect<'a>(&'a self, found: &mut Vec<&'a MetricRef>) {
        match self {
            Expr::Number(_) => {}
            Expr::Metric(metric) => found.push(metric),
            Expr::Negate(inner) => inner.collect(found),
            Expr::Binary(left, _, right) => {
                left.collect(found);
                right.collect(found);
            }
        }
    }

    pub fn metrics_mut(&mut self, visit: &mut impl FnMut(&mut MetricRef)) {
        match self {
            Expr::Number(_) => {}
            Expr::Metric(metric) => visit(metric),
            Expr::Negate(inner) => inner.metrics_mut(visit),
            Expr::Binary(left, _, right) => {
                left.metrics_mut(visit);
                right.metrics_mut(visit);
            }
        }
    }

    /// The expression's value, reading metrics with `lookup`.
    pub fn eval<E>(&self, lookup: &mut impl FnMut(&MetricRef) -> Result<f64, E>) -> Result<f64, E> {
        Ok(match self {
            Expr::Number(value) => *value,
            Expr::Metric(metric) => lookup(metric)?,
            Expr::Negate(inner) => -inner.eval(lookup)?,
            Expr::Binary(left, op, right) => {
                let (a, b) = (left.eval(lookup)?, right.eval(lookup)?);
                match op {
                    Arith::Add => a + b,
                    Arith::Subtract => a - b,
                    Arith::Multiply => a * b,
                    Arith::Divide => a / b,
                }
            }
        })
    }

    /// A plain number, when the expression reads no metric.
    pub fn constant(&self) -> Option<f64> {
        self.eval(&mut |_| Err(())).ok()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Arith(Arith),
    Compare(&'static str),
    PlusMinus,
    Percent,
    Open,
    Close,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | '[' | ']')
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let starts = |with: &str| with.chars().enumerate().all(|(k, w)| chars.get(i + k) == Some(&w));
        let (token, width) = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            let start = i;
            let mut end = i;
            while end < chars.len() {
                let d = chars[end];
                let exponent_sign = matches!(d, '+' | '-') && end > start && matches!(chars[end - 1], 'e' | 'E');
                if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exponent_sign {
                    end += 1;
                } else {
                    break;
                }
            }
            let written: String = chars[start..end].iter().collect();
            let value: f64 = written.parse().map_err(|_| format!("`{written}` is not a number"))?;
            (Token::Number(value), end - start)
        } else if is_name_start(c) {
            let mut end = i;
            while end < chars.len() && is_name_char(chars[end]) {
                end += 1;
            }
            (Token::Name(chars[i..end].iter().collect()), end - i)
        } else if starts("+/-") {
            (Token::PlusMinus, 3)
        } else if let Some((_, symbol)) =
            [("<=", "≤"), (">=", "≥"), ("==", "=="), ("~=", "≈")].into_iter().find(|(written, _)| starts(written))
        {
            (Token::Compare(symbol), 2)
        } else {
            let token = match c {
                '<' => Token::Compare("<"),
                '>' => Token::Compare(">"),
                '≤' => Token::Compare("≤"),
                '≥' => Token::Compare("≥"),
                '≈' => Token::Compare("≈"),
                '±' => Token::PlusMinus,
                '+' => Token::Arith(Arith::Add),
                '-' | '−' => Token::Arith(Arith::Subtract),
                '*' | '×' => Token::Arith(Arith::Multiply),
                '/' => Token::Arith(Arith::Divide),
                '%' => Token::Percent,
                '(' => Token::Open,
                ')' => Token::Close,
                '=' => return Err("`=` is not a comparison: write `==`".to_string()),
                other => return Err(format!("unexpected `{other}`")),
            };
            (token, 1)
        };
        out.push(token);
        i += width;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Parentheses and signs open at this point: bounded, so no input can exhaust the stack.
    depth: usize,
}

/// Deeper nesting than this is not an expectation anyone writes.
const MAX_DEPTH: usize = 64;

/// Longer expectations than this are refused before parsing.
pub const MAX_LENGTH: usize = 2000;

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(Token::Arith(op @ (Arith::Add | Arith::Subtract))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.factor()?;
        while let Some(Token::Arith(op @ (Arith::Multiply | Arith::Divide))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("the expectation nests deeper than {MAX_DEPTH} parentheses or signs"));
        }
        let factor = self.factor_inner();
        self.depth -= 1;
        factor
    }

    fn factor_inner(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Number(value)) => Ok(Expr::Number(self.percent(value))),
            Some(Token::Name(name)) => metric(&name).map(Expr::Metric),
            Some(Token::Arith(Arith::Subtract)) => Ok(Expr::Negate(Box::new(self.factor()?))),
            Some(Token::Open) => {
                let inner = self.sum()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a `(` is not closed".to_string()),
                }
            }
            Some(other) => Err(format!("expected a number or a metric, found {}", describe(&other))),
            None => Err("the expectation ends too early: expected a number or a metric".to_string()),
        }
    }

    /// `5%` is 0.05.
    fn percent(&mut self, value: f64) -> f64 {
        if self.peek() == Some(&Token::Percent) {
            self.at += 1;
            value / 100.0
        } else {
            value
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(n) => format!("the number {n}"),
        Token::Name(name) => format!("`{name}`"),
        Token::Arith(Arith::Add) => "`+`".into(),
        Token::Arith(Arith::Subtract) => "`-`".into(),
        Token::Arith(Arith::Multiply) => "`*`".into(),
        Token::Arith(Arith::Divide) => "`/`".into(),
        Token::Compare(symbol) => format!("`{symbol}`"),
        Token::PlusMinus => "`±`".into(),
        Token::Percent => "`%`".into(),
        Token::Open => "`(`".into(),
        Token::Close => "`)`".into(),
    }
}

fn metric(name: &str) -> Result<MetricRef, String> {
    if name.ends_with(['.', '-']) || name.contains("..") {
        return Err(format!("`{name}` is not a metric path (put spaces around `-`)"));
    }
    Ok(MetricRef { variant: None, path: name.to_string() })
}

/// Parses `left op right`, or `left ≈ right ± tolerance`.
pub fn parse(text: &str) -> Result<Condition, String> {
    if text.chars().count() > MAX_LENGTH {
        return Err(format!("the expectation is longer than {MAX_LENGTH} characters"));
    }
    let mut parser = Parser { tokens: tokens(text)?, at: 0, depth: 0 };
    let left = parser.sum()?;
    let comparison = match parser.next() {
        Some(Token::Compare(symbol)) => symbol,
        Some(other) => return Err(format!("expected a comparison (<, ≤, >, ≥, ==, ≈), found {}", describe(&other))),
        None => return Err("no comparison: an expectation is `metric < bound` (or ≤, >, ≥, ==, ≈)".to_string()),
    };
    let right = parser.sum()?;
    let comparison = match comparison {
        "<" => Comparison::Less,
        "≤" => Comparison::LessOrEqual,
        ">" => Comparison::Greater,
        "≥" => Comparison::GreaterOrEqual,
        "==" => Comparison::Equal,
        _ => match parser.next() {
            Some(Token::PlusMinus) => Comparison::Approximately(tolerance(&mut parser)?),
            _ => return Err("`≈` needs a tolerance: `≈ 95 ± 10` or `≈ 95 ± 5%`".to_string()),
        },
    };
    if let Some(extra) = parser.next() {
        return Err(format!("unexpected {} after the expectation", describe(&extra)));
    }
    Ok(Condition { left, comparison, right })
}

fn tolerance(parser: &mut Parser) -> Result<Tolerance, String> {
    let Some(Token::Number(width)) = parser.next() else { return Err("`±` needs a number: `± 10` or `± 5%`".to_string()) };
    if parser.peek() == Some(&Token::Percent) {
        parser.at += 1;
        Ok(Tolerance::Relative(width / 100.0))
    } else {
        Ok(Tolerance::Absolute(width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str) -> Expr {
        Expr::Metric(MetricRef { variant: None, path: path.into() })
    }

    #[test]
    fn parses_comparisons_of_variants_with_arithmetic() {
        let c = parse("hardened.availability > naive.availability + 0.05").unwrap();
        assert_eq!(c.left, m("hardened.availability"));
        assert_eq!(c.comparison, Comparison::Greater);
        assert_eq!(c.right, Expr::Binary(Box::new(m("naive.availability")), Arith::Add, Box::new(Expr::Number(0.05))));
    }

    #[test]
    fn names_keep_hyphens_and_minus_needs_spaces() {
        let c = parse("regions.new-york.latency_ms.p99 - 10 <= 2 * x").unwrap();
        assert_eq!(c.left, Expr::Binary(Box::new(m("regions.new-york.latency_ms.p99")), Arith::Subtract, Box::new(Expr::Number(10.0))));
        assert_eq!(c.comparison, Comparison::LessOrEqual);
        assert!(parse("a.b- 3 < 1").unwrap_err().contains("spaces around"));
    }

    #[test]
    fn approximately_takes_absolute_or_relative_tolerance() {
        let c = parse("latency_ms.p95 ≈ 95 ± 10").unwrap();
        assert_eq!(c.comparison, Comparison::Approximately(Tolerance::Absolute(10.0)));
        let c = parse("x ~= 25 +/- 4%").unwrap();
        assert_eq!(c.comparison, Comparison::Approximately(Tolerance::Relative(0.04)));
        assert!(c.comparison.holds(25.9, 25.0) && !c.comparison.holds(26.1, 25.0));
        assert!(parse("x ≈ 25").unwrap_err().contains("tolerance"));
    }

    #[test]
    fn percent_numbers_and_precedence() {
        let c = parse("availability >= 99.9%").unwrap();
        assert!((c.right.constant().unwrap() - 0.999).abs() < 1e-12);
        let c = parse("x < 1 + 2 * 3 - -1").unwrap();
        assert_eq!(c.right.constant(), Some(8.0));
        let c = parse("x < (1 + 2) * 3 / 1e1").unwrap();
        assert!((c.right.constant().unwrap() - 0.9).abs() < 1e-12);
    }

    #[test]
    fn errors_say_what_was_expected() {
        assert!(parse("availability 0.9").unwrap_err().contains("expected a comparison"));
        assert!(parse("availability = 0.9").unwrap_err().contains("write `==`"));
        assert!(parse("availability >").unwrap_err().contains("ends too early"));
        assert!(parse("(a < 1").unwrap_err().contains("not closed"));
        assert!(parse("a < 1 2").unwrap_err().contains("unexpected the number 2"));
        assert!(parse("a < 1 $").unwrap_err().contains("unexpected `$`"));
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        let deep = format!("{}x{} < 1", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().contains("nests deeper than 64"));
        assert!(parse(&format!("x < {}1", "- ".repeat(100))).unwrap_err().contains("nests deeper"));
        assert!(parse(&format!("x < {}1", "- ".repeat(30))).is_ok());
        assert!(parse(&format!("x < 1{}", " + 1".repeat(600))).unwrap_err().contains("longer than 2000"));
    }

    #[test]
    fn equality_allows_rounding_only() {
        assert!(Comparison::Equal.holds(300.0, 300.0));
        assert!(Comparison::Equal.holds(0.1 + 0.2, 0.3));
        assert!(!Comparison::Equal.holds(300.001, 300.0));
    }

    #[test]
    fn eval_reads_metrics() {
        let c = parse("a / b * 100 > 3").unwrap();
        let value = c.left.eval(&mut |m: &MetricRef| Ok::<f64, ()>(if m.path == "a" { 1.0 } else { 4.0 })).unwrap();
        assert_eq!(value, 25.0);
        assert_eq!(c.left.metrics().len(), 2);
    }
}
