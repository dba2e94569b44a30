//! Validation of `alerts:` and `actions:` into an [`OperationsPlan`].

use super::checks::{duration, whole};
use super::diagnostic::{Problems, did_you_mean};
use super::faults::{FaultContext, run_instant};
use super::files::{ActionFile, ActionKindFile, AlertFile, S};
use super::validate::{MAX_WORKERS, region, scaled};
use super::windows::valid_name;
use crate::faults::FaultPlan;
use crate::kernel::SimDuration;
use crate::operations::{Action, AlertRule, Awaited, Comparison, Effect, OperationsPlan, Scope, Signal, Trigger};
use crate::world::RegionId;

/// What validating operations needs besides the fault context.
pub(super) struct OperationsContext<'a> {
    pub faults: &'a FaultPlan,
    pub client_regions: &'a [RegionId],
}

pub(super) fn operations(
    problems: &mut Problems,
    alerts: &[AlertFile],
    actions: &[ActionFile],
    context: &FaultContext,
    operations: &OperationsContext,
) -> OperationsPlan {
    let mut plan = OperationsPlan::default();
    for (index, file) in alerts.iter().enumerate() {
        let key = format!("alerts[{index}]");
        unique_name(problems, &file.name, &key, plan.alerts.iter().map(|a| a.name.as_str()), "alerts");
        if let Some(rule) = alert(problems, file, &key, context, operations) {
            plan.alerts.push(rule);
        }
    }
    for (index, file) in actions.iter().enumerate() {
        let key = format!("actions[{index}]");
        let taken = plan.actions.iter().map(|a| a.name.as_str()).chain(plan.alerts.iter().map(|a| a.name.as_str()));
        unique_name(problems, &file.name, &key, taken, "alerts and actions");
        if let Some(action) = action(problems, file, &key, &plan, context, operations.faults) {
            plan.actions.push(action);
        }
    }
    plan
}

fn unique_name<'a>(problems: &mut Problems, name: &S<String>, key: &str, mut taken: impl Iterator<Item = &'a str>, among: &str) {
    if !valid_name(&name.value) {
        problems
            .on(name, format!("{key}.name"), format!("`{}` is not a valid name", name.value))
            .expected("letters, digits, `-` and `_` (it is a step of a metric path)");
    } else if taken.any(|n| n == name.value) {
        problems.on(name, format!("{key}.name"), format!("`{}` is taken", name.value)).expected(format!("names unique among {among}"));
    }
}

fn alert(
    problems: &mut Problems,
    file: &AlertFile,
    key: &str,
    context: &FaultContext,
    operations: &OperationsContext,
) -> Option<AlertRule> {
    let (signal, comparison, threshold) = condition(problems, &file.when, &format!("{key}.when"))?;
    let hold = file.hold.as_ref().map_or(Some(SimDuration::ZERO), |h| duration(problems, h, &format!("{key}.for")));
    let detects = match &file.detects {
        Some(name) => Some(fault_index(problems, name, &format!("{key}.detects"), operations.faults)?),
        None => None,
    };
    let scope = if signal.at_servers() {
        let servers = servers(problems, file.service.as_ref(), file.region.as_slice(), &file.name, key, context)?;
        Scope::Servers(servers)
    } else {
        if let Some(service) = &file.service {
            problems
                .on(service, format!("{key}.service"), format!("`{}` is measured at clients, not at a service", signal.name()))
                .expected("`region:` (a client region), or a server signal: utilisation, queue_length, memory_mb, replica_lag_s");
        }
        Scope::Clients(match &file.region {
            Some(name) => Some(client_region(problems, name, &format!("{key}.region"), context, operations.client_regions)?),
            None => None,
        })
    };
    Some(AlertRule { name: file.name.value.clone(), signal, comparison, threshold, scope, hold: hold?, detects })
}

/// `signal op number`, like `p99_ms > 200` or `error_rate >= 1%`.
fn condition(problems: &mut Problems, text: &S<String>, key: &str) -> Option<(Signal, Comparison, f64)> {
    const OPERATORS: [(&str, Comparison); 6] = [
        (">=", Comparison::AtLeast),
        ("<=", Comparison::AtMost),
        ("≥", Comparison::AtLeast),
        ("≤", Comparison::AtMost),
        (">", Comparison::Above),
        ("<", Comparison::Below),
    ];
    let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
    let found =
        OPERATORS.iter().find_map(|&(symbol, comparison)| text.value.split_once(symbol).map(|(l, r)| (l.trim(), r.trim(), comparison)));
    let Some((left, right, comparison)) = found else {
        problems.on(text, key, format!("`{}` compares nothing", text.value)).expected("`<signal> <op> <number>`, like `p99_ms > 200`");
        return None;
    };
    let signal = Signal::ALL.into_iter().find(|s| s.name() == left);
    if signal.is_none() {
        problems
            .on(text, key, format!("unknown signal `{left}`"))
            .expected(format!("one of: {}", names.join(", ")))
            .suggest(did_you_mean(left, names.iter().copied()));
    }
    let threshold = match right.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().ok().map(|p| p / 100.0),
        None => right.parse::<f64>().ok(),
    };
    let threshold = threshold.filter(|t| t.is_finite());
    if threshold.is_none() {
        problems.on(text, key, format!("`{right}` is not a number")).expected("a threshold like `200`, `0.01` or `1%`");
    }
    Some((signal?, comparison, threshold?))
}

fn client_region(problems: &mut Problems, name: &S<String>, key: &str, context: &FaultContext, clients: &[RegionId]) -> Option<RegionId> {
    let id = region(problems, context.topology, name, key)?;
    if clients.contains(&id) {
        return Some(id);
    }
    let names: Vec<&str> = clients.iter().map(|&r| context.topology.region(r).id.as_str()).collect();
    problems
        .on(name, key, format!("no clients live in `{}`", name.value))
        .expected(format!("a client region: {}", names.join(", ")))
        .suggest(did_you_mean(&name.value, names.iter().copied()));
    None
}

fn fault_index(problems: &mut Problems, name: &S<String>, key: &str, faults: &FaultPlan) -> Option<u16> {
    if let Some(index) = faults.faults.iter().position(|f| f.name == name.value) {
        return Some(index as u16);
    }
    let names: Vec<&str> = faults.faults.iter().map(|f| f.name.as_str()).collect();
    problems
        .on(name, key, format!("no fault is called `{}`", name.value))
        .expected(if names.is_empty() {
            "a fault's name (the scenario has none)".to_string()
        } else {
            format!("one of: {}", names.join(", "))
        })
        .suggest(did_you_mean(&name.value, names.iter().copied()));
    None
}

/// The servers of `service` (default the only one) in `regions` (default all of its regions).
fn servers(
    problems: &mut Problems,
    service: Option<&S<String>>,
    regions: &[S<String>],
    anchor: &S<String>,
    key: &str,
    context: &FaultContext,
) -> Option<Vec<u32>> {
    let names: Vec<String> = context.service_specs.iter().map(|s| s.name.clone()).collect();
    let service = match service {
        Some(name) => super::services::service_index(problems, name, &names, &format!("{key}.service"))?,
        None if names.len() <= 1 => 0,
        None => {
            problems
                .on(anchor, format!("{key}.service"), "the scenario has several services and this names none")
                .expected(format!("`service: <name>`, one of: {}", names.join(", ")));
            return None;
        }
    };
    let of_service = || context.services.iter().enumerate().filter(|(_, s)| s.service == service);
    if regions.is_empty() {
        return Some(of_service().map(|(index, _)| index as u32).collect());
    }
    let mut servers = Vec::new();
    for (slot, name) in regions.iter().enumerate() {
        let slot_key = if regions.len() == 1 { format!("{key}.region") } else { format!("{key}.regions[{slot}]") };
        let id = region(problems, context.topology, name, &slot_key)?;
        match of_service().find(|(_, s)| s.region == id) {
            Some((index, _)) => servers.push(index as u32),
            None => {
                let served: Vec<&str> = of_service().map(|(_, s)| context.topology.region(s.region).id.as_str()).collect();
                problems
                    .on(name, slot_key, format!("service `{}` has no servers in `{}`", names[service as usize], name.value))
                    .expected(format!("one of its regions: {}", served.join(", ")))
                    .suggest(did_you_mean(&name.value, served.iter().copied()));
                return None;
            }
        }
    }
    Some(servers)
}

fn action(
    problems: &mut Problems,
    file: &ActionFile,
    key: &str,
    plan: &OperationsPlan,
    context: &FaultContext,
    faults: &FaultPlan,
) -> Option<Action> {
    reject_irrelevant(problems, file, key);
    let trigger = trigger(problems, file, key, plan, context);
    let effect = match file.effect.value {
        ActionKindFile::Note => Some(Effect::Note),
        ActionKindFile::EndFault => match &file.fault {
            Some(name) => fault_index(problems, name, &format!("{key}.fault"), faults).map(|fault| Effect::EndFault { fault }),
            None => {
                problems.on(&file.effect, format!("{key}.fault"), "`end-fault` needs the fault it ends").expected("`fault: <name>`");
                None
            }
        },
        ActionKindFile::Scale => scale(problems, file, key, context),
    };
    Some(Action { name: file.name.value.clone(), trigger: trigger?, effect: effect? })
}

fn trigger(problems: &mut Problems, file: &ActionFile, key: &str, plan: &OperationsPlan, context: &FaultContext) -> Option<Trigger> {
    let delay = file.delay.as_ref().map_or(Some(SimDuration::ZERO), |d| duration(problems, d, &format!("{key}.delay")));
    match (&file.at, &file.after) {
        (Some(at), None) => {
            if let Some(delay) = &file.delay {
                problems.on(delay, format!("{key}.delay"), "`delay` counts from `after`").expected("`at` alone, or `after` with `delay`");
            }
            Some(Trigger::At(run_instant(problems, at, &format!("{key}.at"), context)?))
        }
        (None, Some(after)) => {
            let awaited = if let Some(alert) = plan.alerts.iter().position(|a| a.name == after.value) {
                Awaited::Alert(alert as u16)
            } else if let Some(action) = plan.actions.iter().position(|a| a.name == after.value) {
                Awaited::Action(action as u16)
            } else {
                let earlier = plan.alerts.iter().map(|a| a.name.as_str()).chain(plan.actions.iter().map(|a| a.name.as_str()));
                problems
                    .on(after, format!("{key}.after"), format!("no alert or earlier action is called `{}`", after.value))
                    .expected("an alert's name, or the name of an action listed before this one")
                    .suggest(did_you_mean(&after.value, earlier));
                return None;
            };
            Some(Trigger::After { awaited, delay: delay? })
        }
        (Some(_), Some(after)) => {
            problems.on(after, format!("{key}.after"), "both `at` and `after` are given").expected("one of them");
            None
        }
        (None, None) => {
            problems.on(&file.name, key, "the action says not when").expected("`at: <instant>`, or `after: <alert or action>`");
            None
        }
    }
}

fn scale(problems: &mut Problems, file: &ActionFile, key: &str, context: &FaultContext) -> Option<Effect> {
    let count = |problems: &mut Problems, value: &Option<S<i64>>, name: &str| match value {
        Some(v) => {
            whole::<u64>(problems, v, &format!("{key}.{name}"), 1, MAX_WORKERS).map(|w| Some(scaled(w, context.scale).max(1) as u32))
        }
        None => Some(None),
    };
    let workers = count(problems, &file.workers, "workers");
    let (min_workers, max_workers) = (count(problems, &file.min_workers, "min_workers"), count(problems, &file.max_workers, "max_workers"));
    let provisioning_delay =
        file.provisioning_delay.as_ref().map_or(Some(SimDuration::ZERO), |d| duration(problems, d, &format!("{key}.provisioning_delay")));
    let servers = servers(problems, file.service.as_ref(), &file.regions, &file.name, key, context)?;
    let Some(workers) = workers? else {
        problems.on(&file.effect, format!("{key}.workers"), "`scale` needs the pool's new size").expected("`workers: <count>`");
        return None;
    };
    let (min_workers, max_workers) = (min_workers?, max_workers?);
    if min_workers.is_some() || max_workers.is_some() {
        bounds_apply(problems, file, key, &servers, (workers, min_workers, max_workers), context)?;
    }
    Some(Effect::Scale { servers, workers, provisioning_delay: provisioning_delay?, min_workers, max_workers })
}

/// New autoscaling bounds need autoscaled servers, and must hold the new size.
fn bounds_apply(
    problems: &mut Problems,
    file: &ActionFile,
    key: &str,
    servers: &[u32],
    (workers, min, max): (u32, Option<u32>, Option<u32>),
    context: &FaultContext,
) -> Option<()> {
    let anchor = file.min_workers.as_ref().or(file.max_workers.as_ref()).expect("called with a bound");
    for &server in servers {
        let Some(policy) = &context.services[server as usize].autoscaling else {
            problems
                .on(anchor, key.to_string(), "autoscaling bounds on a service that does not autoscale")
                .expected("`workers` alone, or a service with `autoscaling:`");
            return None;
        };
        let (low, high) = (min.unwrap_or(policy.min_workers), max.unwrap_or(policy.max_workers));
        if !(low <= workers && workers <= high) {
            problems
                .on(anchor, key.to_string(), format!("the new size {workers} lies outside the bounds {low}..{high} (after `scale`)"))
                .expected("min_workers ≤ workers ≤ max_workers");
            return None;
        }
    }
    Some(())
}

/// The keys each kind takes, besides `name`, `at`, `after`, `delay` and `do`.
fn allowed_keys(kind: ActionKindFile) -> &'static [&'static str] {
    match kind {
        ActionKindFile::Note => &[],
        ActionKindFile::EndFault => &["fault"],
        ActionKindFile::Scale => &["service", "regions", "workers", "provisioning_delay", "min_workers", "max_workers"],
    }
}

fn reject_irrelevant(problems: &mut Problems, file: &ActionFile, key: &str) {
    let given = [
        ("fault", file.fault.as_ref().map(|v| v.referenced)),
        ("service", file.service.as_ref().map(|v| v.referenced)),
        ("regions", file.regions.first().map(|v| v.referenced)),
        ("workers", file.workers.as_ref().map(|v| v.referenced)),
        ("provisioning_delay", file.provisioning_delay.as_ref().map(|v| v.referenced)),
        ("min_workers", file.min_workers.as_ref().map(|v| v.referenced)),
        ("max_workers", file.max_workers.as_ref().map(|v| v.referenced)),
    ];
    let allowed = allowed_keys(file.effect.value);
    let kind = kind_name(file.effect.value);
    for (name, location) in given {
        if let Some(location) = location.filter(|_| !allowed.contains(&name)) {
            let expected = if allowed.is_empty() { "no other keys".to_string() } else { format!("only {}", allowed.join(", ")) };
            problems.at(&location, format!("{key}.{name}"), format!("`{name}` does not apply to a `{kind}` action")).expected(expected);
        }
    }
}

fn kind_name(kind: ActionKindFile) -> &'static str {
    match kind {
        ActionKindFile::Note => "note",
        ActionKindFile::EndFault => "end-fault",
        ActionKindFile::Scale => "scale",
    }
}
