//! Validation of `alerts:` and `actions:` into an [`OperationsPlan`].

use super::checks::{duration_or, whole};
use super::diagnostic::{Problems, did_you_mean};
use super::faults::{FaultContext, fault_named, run_instant, servers_in};
use super::files::{ActionFile, ActionKindFile, AlertFile, S};
use super::validate::{MAX_WORKERS, region, scaled};
use super::windows::valid_name;
use crate::actors::server::ScaleOrder;
use crate::faults::FaultPlan;
use crate::kernel::SimDuration;
use crate::operations::{Action, AlertRule, Awaited, Effect, OperationsPlan, Scope, Signal, Trigger};
use crate::outcome::expr::{self, Comparison, Expr};
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
    let hold = duration_or(problems, &file.hold, &format!("{key}.for"), SimDuration::ZERO);
    let detects = match &file.detects {
        Some(name) => Some(fault_named(problems, name, &format!("{key}.detects"), operations.faults)?),
        None => None,
    };
    let scope = if signal.at_servers() {
        let servers = servers(
            problems,
            file.service.as_ref(),
            file.region.as_slice(),
            &file.name,
            (key, "alert"),
            |_| format!("{key}.region"),
            context,
        )?;
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

/// `signal op number`, like `p99_ms > 200` or `error_rate >= 1%`, in the expectation language
/// (`outcome::expr`), restricted to a signal, an order comparison and a constant.
fn condition(problems: &mut Problems, text: &S<String>, key: &str) -> Option<(Signal, Comparison, f64)> {
    let rule = "`<signal> <op> <number>`, like `p99_ms > 200`";
    let parsed = match expr::parse(&text.value) {
        Ok(parsed) => parsed,
        Err(message) => {
            problems.on(text, key, format!("`{}` compares nothing an alert can judge: {message}", text.value)).expected(rule);
            return None;
        }
    };
    let signal = match &parsed.left {
        Expr::Metric(metric) => {
            let name = metric.path.as_str();
            let signal = Signal::ALL.into_iter().find(|s| s.name() == name);
            if signal.is_none() {
                let names = Signal::ALL.map(Signal::name);
                problems
                    .on(text, key, format!("unknown signal `{name}`"))
                    .expected(format!("one of: {}", names.join(", ")))
                    .suggest(did_you_mean(name, names.iter().copied()));
            }
            signal
        }
        _ => {
            problems.on(text, key, "the left side is not a signal").expected(rule);
            None
        }
    };
    if matches!(parsed.comparison, Comparison::Equal | Comparison::Approximately(_)) {
        problems.on(text, key, format!("an alert cannot use `{}`", parsed.comparison.symbol())).expected("<, <=, > or >=");
        return None;
    }
    let threshold = parsed.right.constant();
    if threshold.is_none() {
        problems.on(text, key, "the threshold is not a number").expected("a threshold like `200`, `0.01` or `1%`");
    }
    let signal = signal?;
    if text.value.contains('%') && !signal.is_ratio() {
        problems.on(text, key, format!("`{}` is not a ratio, so `%` does not apply", signal.name())).expected("a plain number");
        return None;
    }
    Some((signal, parsed.comparison, threshold?))
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

/// The servers of `service` (default the only one) in `regions` (default all of its regions).
fn servers(
    problems: &mut Problems,
    service: Option<&S<String>>,
    regions: &[S<String>],
    anchor: &S<String>,
    (key, what): (&str, &str),
    region_key: impl Fn(usize) -> String,
    context: &FaultContext,
) -> Option<Vec<u32>> {
    let service = super::services::named_or_only(problems, service, anchor, context.service_specs, &format!("{key}.service"))?;
    if regions.is_empty() {
        return Some(context.services.iter().enumerate().filter(|(_, s)| s.service == service).map(|(i, _)| i as u32).collect());
    }
    servers_in(problems, regions, Some(&[service]), what, region_key, context)
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
            Some(name) => fault_named(problems, name, &format!("{key}.fault"), faults).map(|fault| Effect::EndFault { fault }),
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
    let delay = duration_or(problems, &file.delay, &format!("{key}.delay"), SimDuration::ZERO);
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
    let provisioning_delay = duration_or(problems, &file.provisioning_delay, &format!("{key}.provisioning_delay"), SimDuration::ZERO);
    let servers = servers(
        problems,
        file.service.as_ref(),
        &file.regions,
        &file.name,
        (key, "action"),
        |slot| format!("{key}.regions[{slot}]"),
        context,
    )?;
    let Some(workers) = workers? else {
        problems.on(&file.effect, format!("{key}.workers"), "`scale` needs the pool's new size").expected("`workers: <count>`");
        return None;
    };
    let order = ScaleOrder { workers, delay: provisioning_delay?, min_workers: min_workers?, max_workers: max_workers? };
    bounds_hold(problems, file, key, &servers, &order, context)?;
    Some(Effect::Scale { servers, order })
}

/// On an autoscaled service the new size must lie within the bounds (the new ones, if given),
/// or the autoscaler would undo it; bounds on a service that does not autoscale are an error.
fn bounds_hold(
    problems: &mut Problems,
    file: &ActionFile,
    key: &str,
    servers: &[u32],
    order: &ScaleOrder,
    context: &FaultContext,
) -> Option<()> {
    let bound = file.min_workers.as_ref().map(|b| (b, "min_workers")).or(file.max_workers.as_ref().map(|b| (b, "max_workers")));
    let written = |value: &Option<S<i64>>| value.as_ref().map(|v| v.value);
    let (workers, min, max) = (written(&file.workers), written(&file.min_workers), written(&file.max_workers));
    if workers.zip(min).is_some_and(|(w, low)| w < low) || workers.zip(max).is_some_and(|(w, high)| w > high) {
        let (at, name) = bound.expect("a bound was compared");
        problems
            .on(at, format!("{key}.{name}"), "the new size lies outside the new bounds")
            .expected("min_workers ≤ workers ≤ max_workers");
        return None;
    }
    for &server in servers {
        let Some(policy) = &context.services[server as usize].autoscaling else {
            if let Some((at, name)) = bound {
                problems
                    .on(at, format!("{key}.{name}"), "autoscaling bounds on a service that does not autoscale")
                    .expected("`workers` alone, or a service with `autoscaling:`");
                return None;
            }
            continue;
        };
        let (low, high) = (order.min_workers.unwrap_or(policy.min_workers), order.max_workers.unwrap_or(policy.max_workers));
        if !(low..=high).contains(&order.workers) {
            let workers_at = file.workers.as_ref().map_or(&file.effect.referenced, |w| &w.referenced);
            let (at, name) = bound.map_or((workers_at, "workers"), |(b, name)| (&b.referenced, name));
            let scaled = if context.scale == 1.0 { String::new() } else { " (after dividing by `scale`)".to_string() };
            problems
                .at(
                    at,
                    format!("{key}.{name}"),
                    format!("the new size {} lies outside the autoscaler's bounds {low}..{high}{scaled}", order.workers),
                )
                .expected("a size within the bounds, or new `min_workers`/`max_workers`: the autoscaler would undo it");
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
    let expected = if allowed.is_empty() { "no other keys".to_string() } else { format!("only {}", allowed.join(", ")) };
    let what = format!("a `{}` action", kind_name(file.effect.value));
    super::checks::reject_keys(problems, &given, allowed, key, &what, &expected);
}

fn kind_name(kind: ActionKindFile) -> &'static str {
    match kind {
        ActionKindFile::Note => "note",
        ActionKindFile::EndFault => "end-fault",
        ActionKindFile::Scale => "scale",
    }
}
