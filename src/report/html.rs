//! `report.html`: one self-contained page per scenario: its description, a summary table per
//! variant and client region, the expectations with pass or fail, and every plot as inline SVG.
//!
//! Nothing is fetched: no script, no font, no stylesheet; the page reads the same offline, in a
//! mail attachment or a CI artefact. Text from the scenario is escaped.

use super::summary::Summary;
use crate::plot::Figure;
use std::fmt::Write;

/// One expectation's outcome, as `check` prints it.
pub struct CheckRow {
    pub label: String,
    pub passed: bool,
    pub result: String,
}

/// A group of figures under one heading.
pub struct Section<'a> {
    pub heading: String,
    /// Makes the figures' ids unique on the page (`naive-timeline`); empty for a scenario
    /// without variants.
    pub id_prefix: String,
    pub figures: Vec<&'a Figure>,
}

/// The expectations on the page.
pub struct Checks {
    pub rows: Vec<CheckRow>,
    /// Expectations not judged, because they read a variant this run left out (`--variant`).
    pub unjudged: usize,
}

pub struct Report<'a> {
    pub scenario: String,
    /// The scenario file, as given on the command line.
    pub source: String,
    pub description: String,
    /// `seed 42`, or `seeds 1–5 (tables: the first)`.
    pub seeds: String,
    /// One per variant (the base alone when there are none).
    pub summaries: Vec<&'a Summary>,
    /// `None`: the scenario states no expectations.
    pub checks: Option<Checks>,
    pub sections: Vec<Section<'a>>,
}

/// A scenario checked by `check --report`, on the index page.
pub struct IndexRow {
    /// The scenario file.
    pub scenario: String,
    /// Its page, when it has one (it has expectations and loaded).
    pub page: Option<String>,
    pub passed: usize,
    pub failed: usize,
    /// Why it could not be checked.
    pub error: Option<String>,
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1240px;padding:24px;color:#222;line-height:1.45}\
h1{font-size:1.7em;margin:0 0 4px}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:4px}h3{margin-top:1.6em}\
.meta{color:#666}.description{white-space:pre-wrap;background:#f6f8fa;padding:12px 16px;border-radius:6px}\
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}tr.all td{font-weight:600}\
.pass{color:#006d4f;font-weight:600}.fail{color:#b34700;font-weight:700}.counts{font-size:1.1em}\
figure{margin:16px 0 28px}figure svg{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#666;font-size:.9em}\
td.result,th.result{text-align:left;color:#444;font-size:.92em}";

/// The whole page.
pub fn render(report: &Report) -> String {
    let mut page = String::with_capacity(512 * 1024);
    let title = escape(&report.scenario);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>planetsim · {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
<p class=\"meta\">planetsim {} · <code>{}</code> · {}</p>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&report.source),
        escape(&report.seeds)
    );
    if !report.description.trim().is_empty() {
        let _ = writeln!(page, "<div class=\"description\">{}</div>", escape(report.description.trim()));
    }
    write_checks(&mut page, report.checks.as_ref());
    write_tables(&mut page, &report.summaries);
    for section in &report.sections {
        write_section(&mut page, section);
    }
    page.push_str("<p class=\"meta\">Coastlines: Made with Natural Earth. Written by planetsim; the same scenario and seed give the same page.</p>\n</body>\n</html>\n");
    page
}

/// The page listing `check`'s scenarios, each with its counts and a link to its page.
pub fn index_page(rows: &[IndexRow]) -> String {
    let mut table = String::new();
    for row in rows {
        let name = escape(&row.scenario);
        let cells = match &row.error {
            Some(error) => format!("<td colspan=\"2\" class=\"fail\">bad input: {}</td>", escape(error.lines().next().unwrap_or(""))),
            None if row.page.is_none() => "<td colspan=\"2\">no expectations</td>".to_string(),
            None => format!(
                "<td class=\"pass\">{}</td><td class=\"{}\">{}</td>",
                row.passed,
                if row.failed > 0 { "fail" } else { "pass" },
                row.failed
            ),
        };
        let link = row.page.as_ref().map_or(name.clone(), |page| format!("<a href=\"{}\">{name}</a>", escape(page)));
        let _ = writeln!(table, "<tr><td>{link}</td>{cells}</tr>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>planetsim check</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<h1>planetsim check</h1>\n<table>\n<tr><th>scenario</th><th>passed</th><th>failed</th></tr>\n{table}</table>\n</body>\n</html>\n"
    )
}

fn write_checks(page: &mut String, checks: Option<&Checks>) {
    let Some(Checks { rows, unjudged }) = checks else { return };
    let failed = rows.iter().filter(|c| !c.passed).count();
    let _ = writeln!(
        page,
        "<h2 id=\"expectations\">Expectations</h2>\n<p class=\"counts\"><span class=\"pass\">{} passed</span> · <span class=\"{}\">{failed} failed</span></p>",
        rows.len() - failed,
        if failed > 0 { "fail" } else { "pass" }
    );
    if *unjudged > 0 {
        let _ =
            writeln!(page, "<p class=\"meta\">{unjudged} more read a variant this run left out (<code>--variant</code>): not judged.</p>");
    }
    page.push_str("<table>\n<tr><th>expectation</th><th>verdict</th><th class=\"result\">measured</th></tr>\n");
    for check in rows {
        let verdict = if check.passed { "<span class=\"pass\">✓ pass</span>" } else { "<span class=\"fail\">✗ FAIL</span>" };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{verdict}</td><td class=\"result\">{}</td></tr>",
            escape(&check.label),
            escape(&check.result)
        );
    }
    page.push_str("</table>\n");
}

fn write_tables(page: &mut String, summaries: &[&Summary]) {
    page.push_str("<h2 id=\"summary\">What clients saw</h2>\n");
    for summary in summaries {
        if let Some(variant) = &summary.variant {
            let _ = writeln!(page, "<h3>variant <code>{}</code></h3>", escape(variant));
        }
        let _ = writeln!(
            page,
            "<p class=\"meta\">seed {} · digest <code>{}</code> · {} events · stop: {}</p>",
            summary.seed, summary.digest, summary.run.events, summary.run.stop_reason
        );
        page.push_str("<table>\n<tr><th>client region</th><th>requests</th><th>succeeded</th><th>timed out</th><th>rejected</th><th title=\"error, unreachable, breaker open, shed\">other failures</th><th>availability</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>\n");
        for (name, region) in &summary.regions {
            write_row(page, name, "", &region.requests, region.availability, &region.latency_ms);
        }
        write_row(page, "all", " class=\"all\"", &summary.requests, summary.availability, &summary.latency_ms);
        page.push_str("</table>\n");
    }
}

fn write_row(
    page: &mut String,
    name: &str,
    class: &str,
    requests: &super::summary::RequestCounts,
    availability: Option<f64>,
    latency: &super::summary::LatencySummary,
) {
    let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
    let availability = availability.map_or("–".to_string(), |a| format!("{:.3} %", a * 100.0));
    let failed = &requests.failed;
    let other = failed.error + failed.unreachable + failed.breaker_open + failed.shed;
    let other_detail =
        format!("error {}, unreachable {}, breaker open {}, shed {}", failed.error, failed.unreachable, failed.breaker_open, failed.shed);
    let _ = writeln!(
        page,
        "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{other_detail}\">{other}</td><td>{availability}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape(name),
        requests.attempted,
        requests.succeeded,
        failed.timeout,
        failed.rejected,
        ms(latency.p50),
        ms(latency.p90),
        ms(latency.p99),
        ms(latency.p999),
        ms(latency.max)
    );
}

fn write_section(page: &mut String, section: &Section) {
    let _ = writeln!(page, "<h2>{}</h2>", escape(&section.heading));
    for figure in &section.figures {
        let _ = writeln!(
            page,
            "<figure id=\"{}{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            escape(&section.id_prefix),
            escape(&figure.stem),
            inline_svg(&figure.svg),
            escape(&figure.title)
        );
    }
}

/// The SVG as an element of the page (any XML declaration dropped).
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    }
}

/// Text as HTML or XML: `&`, `<`, `>` and quotes escaped, and the control characters XML 1.0
/// cannot carry dropped (line breaks and tabs are kept).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_text_cannot_inject_markup() {
        assert_eq!(escape("<script>alert('x') & \"y\"</script>"), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    }

    #[test]
    fn a_page_lists_failures_and_fetches_nothing() {
        let svg = "<?xml version=\"1.0\"?><svg viewBox=\"0 0 1 1\"></svg>".to_string();
        let figure = Figure { stem: "x".into(), title: "t".into(), png: None, svg };
        let report = Report {
            scenario: "s<1>".into(),
            source: "scenarios/s.yaml".into(),
            description: "what it shows".into(),
            seeds: "seed 1".into(),
            summaries: vec![],
            checks: Some(Checks {
                rows: vec![
                    CheckRow { label: "availability > 0.99".into(), passed: true, result: "value 1".into() },
                    CheckRow { label: "latency_ms.p99 < 100".into(), passed: false, result: "value 120".into() },
                ],
                unjudged: 0,
            }),
            sections: vec![Section { heading: "Latency".into(), id_prefix: String::new(), figures: vec![&figure] }],
        };
        let page = render(&report);
        assert!(page.contains("<h1>s&lt;1&gt;</h1>"));
        assert!(page.contains("1 passed") && page.contains("1 failed") && page.contains("✗ FAIL"));
        assert!(page.contains("<figure id=\"x\">\n<svg viewBox"));
        for fetch in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!page.contains(fetch), "the page must not fetch anything: {fetch}");
        }
    }
}
