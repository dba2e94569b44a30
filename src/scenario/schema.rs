//! The JSON Schema of scenario and topology files, for editors (`planetsim schema`).
//!
//! It is generated from the very types the loader deserialises (`files.rs`), so it cannot drift
//! from them: unknown keys are refused (`additionalProperties: false`), required keys are
//! required, and enumerations list their values. What it simplifies: it checks the shape of a
//! file, not its meaning. A region that does not exist, a negative rate or a key that does not
//! apply to a fault's kind pass the schema and are reported by `planetsim validate`.
//!
//! The schema accepts everything the loader accepts, or an editor would flag valid files. YAML
//! is more lenient than the Rust types say: serde-saphyr reads any scalar (`2024`, `true`) into
//! a text field, and a quoted number (`"48"`) or a YAML 1.1 boolean (`yes`) into a number or a
//! boolean. `accept_yaml_scalars` widens the generated types to match. Durations and instants
//! are text with a grammar (`units.rs`), given as patterns that accept every form the parser
//! does; where the parser refuses a little more (a negative duration), the validation does.
//!
//! It declares draft 2020-12 but uses only keywords that draft 7 has too (`$defs` is only where
//! definitions live, reached by `$ref` pointers): the YAML language server, which most editors
//! use for YAML, validates with draft 7.

use super::files::{ScenarioFile, TopologyFile};
use super::units::{DURATION_FORMS, DURATION_UNITS, INSTANT_FORMS};
use schemars::generate::SchemaSettings;
use schemars::transform::transform_subschemas;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// Which file kinds a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Document {
    /// Either kind, as `planetsim validate` tells them apart.
    Any,
    Scenario,
    Topology,
}

/// The schema, pretty-printed with its keys in a fixed (sorted) order, ending with a newline.
pub fn render(document: Document) -> String {
    let mut text = serde_json::to_string_pretty(&schema(document)).expect("a schema is plain JSON");
    text.push('\n');
    text
}

pub fn schema(document: Document) -> Schema {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = match document {
        Document::Scenario => generator.into_root_schema_for::<ScenarioFile>(),
        Document::Topology => generator.into_root_schema_for::<TopologyFile>(),
        Document::Any => either_file(generator),
    };
    accept_yaml_scalars(&mut schema);
    schema
}

/// A scenario or a topology. `anyOf` rather than a test on `topology:` (which is how the loader
/// tells them apart): both accept the same files, and an editor then offers the keys of both in
/// a new, empty file.
fn either_file(mut generator: SchemaGenerator) -> Schema {
    let scenario = generator.subschema_for::<ScenarioFile>();
    let topology = generator.subschema_for::<TopologyFile>();
    let meta_schema = generator.settings().meta_schema.clone().unwrap_or_default();
    let definitions = generator.take_definitions(false);
    json_schema!({
        "$schema": meta_schema,
        "title": "planetsim scenario or topology file",
        "description": "A scenario (it has `topology:`) or a topology file of planetsim. Reference: docs/SCENARIOS.md.",
        "anyOf": [scenario, topology],
        "$defs": definitions,
    })
}

/// A number: optional sign, digits, optional fraction (what `str::parse::<f64>` reads without
/// an exponent, since a duration's unit starts at its first letter).
const DECIMAL: &str = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)";
/// `YYYY-MM-DDTHH:MM[:SS]`, each part a whole number as `units::parse_civil` reads it.
const CIVIL: &str = r"\+?[0-9]+-\+?[0-9]+-\+?[0-9]+T\+?[0-9]+:\+?[0-9]+(:\+?[0-9]+)?";

/// Any unit of `units::DURATION_UNITS`, the table the parser reads: `(ns|us|…|d)`. Units are
/// letters only (a unit test says so), so none needs escaping.
fn duration_unit() -> String {
    let names: Vec<&str> = DURATION_UNITS.iter().map(|(name, _)| *name).collect();
    format!("({})", names.join("|"))
}

fn duration_pattern() -> String {
    format!(r"^\s*{DECIMAL}\s*{}\s*$", duration_unit())
}

/// An offset (`+90s`), a UTC time (`…Z`) or a local time (`… local`, and for faults, alerts'
/// actions, windows and the like `… local <region>`).
fn instant_pattern() -> String {
    format!(r"^\s*(\+\s*{DECIMAL}\s*{}|{CIVIL}(Z|\s+local(\s.*)?))\s*$", duration_unit())
}

fn utc_pattern() -> String {
    format!(r"^\s*{CIVIL}Z\s*$")
}

/// A text with a grammar: its pattern, what it means, and a few examples an editor can offer.
fn text_schema(pattern: String, description: String, examples: &[&str]) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": pattern,
        "description": description,
        "examples": examples,
    })
}

/// `forms` (`units::DURATION_FORMS` and the like, written to follow "expected") as a sentence.
fn sentence(forms: &str) -> String {
    let mut chars = forms.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A duration written with its unit, such as `250ms` or `5m` (`units::parse_duration`).
pub struct DurationText;

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let description = format!("{}. A bare number is refused as ambiguous.", sentence(DURATION_FORMS));
        text_schema(duration_pattern(), description, &["250ms", "30s", "5m"])
    }
}

/// When something happens (`units::parse_instant`).
pub struct InstantText;

impl JsonSchema for InstantText {
    fn schema_name() -> Cow<'static, str> {
        "Instant".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Faults, windows and operators' actions name the region whose local time they mean.
        let description = format!("{} (in a fault, window or action: `… local <region>`).", sentence(INSTANT_FORMS));
        text_schema(instant_pattern(), description, &["+90s", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00 local tokyo"])
    }
}

/// An absolute UTC time: the only form `start` takes.
pub struct UtcText;

impl JsonSchema for UtcText {
    fn schema_name() -> Cow<'static, str> {
        "UtcTime".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        text_schema(utc_pattern(), "A UTC time such as `2026-12-31T22:00:00Z`.".to_string(), &["2026-12-31T22:00:00Z"])
    }
}

/// Trimming as serde-saphyr trims a scalar before converting it (`yaml_trim`).
const PAD: &str = r"[ \t\r\n]*";
/// Whole numbers as serde-saphyr reads them: decimal without a leading zero, hexadecimal, octal
/// or binary, with single underscores between digits.
const WHOLE: &str = "(0|[1-9](_?[0-9])*|0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|0[oO][0-7](_?[0-7])*|0[bB][01](_?[01])*)";
/// Floating-point numbers: YAML's `.inf` and `.nan`, or what `str::parse::<f64>` reads.
const FLOAT: &str = r"([+-]?\.([nN][aA][nN]|[iI][nN][fF])|[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)";
/// YAML 1.1 booleans, any case (`parse_yaml11_bool`).
const BOOLEAN: &str = "([yY]([eE][sS])?|[nN][oO]?|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|[oO]([nN]|[fF][fF]))";

/// Widens every plain type to the scalars serde-saphyr converts into it (see the module docs).
/// Types with an `enum`, a `const` or a `pattern` are left as they are: their values are words.
/// In an untagged enum (`acks`, `daily_curve`, `priority`) serde does not convert scalars, so
/// there the schema is a little wider than the loader; the validation still refuses the rest.
fn accept_yaml_scalars(schema: &mut Schema) {
    transform_subschemas(&mut accept_yaml_scalars, schema);
    let Some(object) = schema.as_object_mut() else { return };
    if ["enum", "const", "pattern"].iter().any(|key| object.contains_key(*key)) {
        return;
    }
    let types: Vec<String> = match object.get("type") {
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        Some(serde_json::Value::Array(many)) => many.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => return,
    };
    let has = |name: &str| types.iter().any(|t| t == name);
    let unsigned = object.get("format").and_then(|f| f.as_str()).is_some_and(|f| f.starts_with("uint"));
    let (extra, pattern): (&[&str], Option<String>) = if has("string") {
        (&["number", "boolean"], None)
    } else if has("integer") {
        let sign = if unsigned { r"\+?" } else { "[+-]?" };
        (&["string"], Some(format!("^{PAD}{sign}{WHOLE}{PAD}$")))
    } else if has("number") {
        (&["string"], Some(format!("^{PAD}{FLOAT}{PAD}$")))
    } else if has("boolean") {
        (&["string"], Some(format!("^{PAD}{BOOLEAN}{PAD}$")))
    } else {
        return;
    };
    // `null` (an optional key) stays last, where schemars puts it.
    let (null, plain): (Vec<&str>, Vec<&str>) = types.iter().map(String::as_str).partition(|t| *t == "null");
    let widened: Vec<serde_json::Value> = plain.into_iter().chain(extra.iter().copied()).chain(null).map(Into::into).collect();
    object.insert("type".into(), widened.into());
    if let Some(pattern) = pattern {
        object.insert("pattern".into(), pattern.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_duration_pattern_lists_every_unit_the_parser_knows() {
        assert_eq!(duration_unit(), "(ns|us|\u{b5}s|\u{3bc}s|ms|s|m|min|h|d)");
        for (unit, _) in DURATION_UNITS {
            assert!(unit.chars().all(char::is_alphabetic), "`{unit}` needs no escaping in a pattern");
        }
        assert!(duration_pattern().contains(&duration_unit()));
        assert!(instant_pattern().contains(&duration_unit()), "offsets take every unit too");
    }

    #[test]
    fn descriptions_are_the_forms_error_messages_give() {
        assert_eq!(sentence("a duration"), "A duration");
        assert_eq!(sentence(""), "");
        let duration = DurationText::json_schema(&mut SchemaGenerator::default());
        let description = duration.get("description").and_then(|d| d.as_str()).unwrap();
        assert!(description.starts_with("A duration with a unit: `250ms`") && description.contains("`µs`"), "{description}");
        let instant = InstantText::json_schema(&mut SchemaGenerator::default());
        let description = instant.get("description").and_then(|d| d.as_str()).unwrap();
        assert!(description.starts_with("An offset `+90s`, a UTC time") && description.ends_with("`… local <region>`)."), "{description}");
    }
}
