//! Variants: one scenario run several ways on the same seed, for example a naive and a hardened
//! client policy.
//!
//! A variant names values to replace by their YAML path (`clients[0].retries.max: 3`,
//! `services[0].workers: 64`). The base file is loaded and validated first, with its own
//! locations. Each variant is then the base document with its values replaced, loaded and
//! validated exactly like a file. A problem that only a variant has is reported at that
//! variant's `set:`, naming the variant and the offending key.

use super::diagnostic::{Diagnostic, LoadError, Problems};
use super::files::{S, ScenarioFile, VariantFile};
use crate::sim::plan::ScenarioPlan;
use serde_json::Value;
use std::path::Path;

/// A scenario as it will run: the base, or one of its variants.
pub struct Variant {
    /// `None` for a scenario without variants.
    pub name: Option<String>,
    pub plan: ScenarioPlan,
}

/// Keys a variant may not change: they would make its runs incomparable with the others'.
const FIXED_KEYS: [&str; 4] = ["name", "seed", "variants", "topology"];

/// Loads a scenario and each of its variants; without variants, the scenario alone.
pub fn load_variants(path: &Path) -> Result<Vec<Variant>, LoadError> {
    let text = super::read(path)?;
    let file: ScenarioFile = super::parse(path, &text)?;
    let base = super::plan_from_file(path, &file)?;
    if file.variants.is_empty() {
        return Ok(vec![Variant { name: None, plan: base }]);
    }
    let mut problems = Problems::new(path);
    check_names(&mut problems, &file.variants);
    let tree: Value = serde_saphyr::from_str(&text).map_err(|e| LoadError::from(super::diagnostic::from_yaml_error(path, &e)))?;
    let mut variants = Vec::new();
    for (index, variant) in file.variants.iter().enumerate() {
        match variant_plan(path, &tree, variant, index) {
            Ok(mut plan) => {
                plan.variant = Some(variant.name.value.clone());
                variants.push(Variant { name: Some(variant.name.value.clone()), plan });
            }
            Err(error) => problems.list.extend(error.diagnostics),
        }
    }
    problems.finish(variants)
}

fn check_names(problems: &mut Problems, variants: &[VariantFile]) {
    let mut seen = std::collections::BTreeSet::new();
    for (index, variant) in variants.iter().enumerate() {
        let name = variant.name.value.as_str();
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            problems
                .on(&variant.name, format!("variants[{index}].name"), format!("`{name}` is not a valid variant name"))
                .expected("letters, digits, `-` and `_` (it names a result folder)");
        } else if !seen.insert(name) {
            problems
                .on(&variant.name, format!("variants[{index}].name"), format!("two variants are called `{name}`"))
                .expected("unique variant names");
        }
    }
}

fn variant_plan(path: &Path, base: &Value, variant: &VariantFile, index: usize) -> Result<ScenarioPlan, LoadError> {
    let mut problems = Problems::new(path);
    let mut tree = base.clone();
    if let Value::Object(map) = &mut tree {
        map.remove("variants");
    }
    for (key, value) in &variant.set.value {
        if let Err(message) = set_path(&mut tree, key, value.clone()) {
            problems
                .on(&variant.set, format!("variants[{index}].set.{key}"), message)
                .expected("a path into the scenario, like `clients[0].retries.max`");
        }
    }
    // Validate what the valid paths give, so every problem of the variant is reported at once.
    let text = serde_saphyr::to_string(&tree)
        .map_err(|e| Diagnostic::whole_file(path, format!("variant `{}` could not be assembled: {e}", variant.name.value)))?;
    let attributed = |error: LoadError| relocate(error, path, &variant.name.value, &variant.set, index);
    let assembled = super::parse::<ScenarioFile>(path, &text)
        .map_err(attributed)
        .and_then(|file| super::plan_from_file(path, &file).map_err(attributed));
    match assembled {
        Ok(plan) if problems.is_empty() => Ok(plan),
        Ok(_) => Err(LoadError { diagnostics: problems.list }),
        Err(error) => {
            problems.list.extend(error.diagnostics);
            Err(LoadError { diagnostics: problems.list })
        }
    }
}

/// Problems found in a variant's assembled document point at the variant's `set:` instead.
fn relocate(error: LoadError, path: &Path, name: &str, set: &S<std::collections::BTreeMap<String, Value>>, index: usize) -> LoadError {
    let diagnostics = error
        .diagnostics
        .into_iter()
        .map(|mut d| {
            if d.file == path {
                d.line = set.referenced.line();
                d.column = set.referenced.column();
                d.snippet = None;
                if d.key.is_empty() {
                    d.key = format!("variants[{index}].set");
                }
                d.message = format!("in variant `{name}`: {}", d.message);
            }
            d
        })
        .collect();
    LoadError { diagnostics }
}

/// One step of a YAML path.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
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

/// Replaces the value at `path` in `tree`, creating missing mapping keys on the way.
pub fn set_path(tree: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let steps = parse_path(path)?;
    if let Some(Step::Key(first)) = steps.first()
        && FIXED_KEYS.contains(first)
    {
        return Err(format!("`{first}` is the same for every variant and cannot be set"));
    }
    let mut node = tree;
    for (depth, step) in steps.iter().enumerate() {
        let last = depth + 1 == steps.len();
        node = match step {
            Step::Key(key) => {
                if node.is_null() {
                    *node = Value::Object(serde_json::Map::new());
                }
                let Value::Object(map) = node else {
                    return Err(format!("`{}` is not a mapping, so it has no key `{key}`", prefix(&steps[..depth])));
                };
                map.entry(key.to_string()).or_insert(Value::Null)
            }
            Step::Index(index) => {
                let Value::Array(items) = node else { return Err(format!("`{}` is not a list", prefix(&steps[..depth]))) };
                let count = items.len();
                items
                    .get_mut(*index)
                    .ok_or_else(|| format!("`{}` has {count} entries, so [{index}] does not exist", prefix(&steps[..depth])))?
            }
        };
        if last {
            *node = value;
            return Ok(());
        }
    }
    Err(format!("`{path}` is empty"))
}

fn prefix(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
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
    use serde_json::json;

    #[test]
    fn paths_replace_values_and_create_missing_keys() {
        let mut tree = json!({"clients": [{"name": "a", "timeout": "1s"}], "services": []});
        set_path(&mut tree, "clients[0].timeout", json!("2s")).unwrap();
        set_path(&mut tree, "clients[0].retries.max", json!(3)).unwrap();
        assert_eq!(tree["clients"][0]["timeout"], "2s");
        assert_eq!(tree["clients"][0]["retries"]["max"], 3);
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let mut tree = json!({"clients": [{"name": "a"}]});
        assert!(set_path(&mut tree, "clients[3].timeout", json!("2s")).unwrap_err().contains("has 1 entries"));
        assert!(set_path(&mut tree, "clients.timeout", json!("2s")).unwrap_err().contains("is not a mapping"));
        assert!(set_path(&mut tree, "seed", json!(3)).unwrap_err().contains("cannot be set"));
        assert!(set_path(&mut tree, "clients[x]", json!(3)).unwrap_err().contains("not an index"));
    }
}
