//! Validation of `services:`: the servers of each named service per region, and what each
//! service calls (its dependencies), which must not form a cycle.

use super::checks::{positive_duration, whole};
use super::diagnostic::{Problems, did_you_mean};
use super::files::{CallFile, CallModeFile, ClientFile, OnFailureFile, S, ServiceFile};
use super::policy::{PolicyFields, client_policy};
use super::validate::{MAX_QUEUE, MAX_WORKERS, distribution, one_or_many, scaled};
use crate::actors::dependency::CallSpec;
use crate::sim::plan::{ServicePlan, ServiceSpec};
use crate::world::Topology;
use std::collections::BTreeSet;

/// More calls per request than this is a modelling mistake, not an architecture.
const MAX_CALLS: usize = 16;

/// The services (named, with their calls) and their servers, one per (service, region).
pub fn validate_services(
    problems: &mut Problems,
    services: &[ServiceFile],
    topology: &Topology,
    scale: f64,
    anchor: &S<String>,
) -> (Vec<ServiceSpec>, Vec<ServicePlan>) {
    if services.is_empty() {
        problems
            .on(anchor, "services", "the scenario has no services, so no request could be served")
            .expected("at least one entry under `services:`");
    }
    let names = service_names(services);
    let specs = service_specs(problems, services, &names);
    let mut seen = BTreeSet::new();
    let mut plans = Vec::new();
    for (index, service) in services.iter().enumerate() {
        let key = format!("services[{index}]");
        let service_index = names.iter().position(|n| n == name_of(service)).expect("every entry's name is listed") as u32;
        let regions = one_or_many(problems, topology, &service.region, &service.regions, &key, &service.workers.referenced);
        let workers = whole::<u64>(problems, &service.workers, &format!("{key}.workers"), 1, MAX_WORKERS);
        let queue = whole::<u64>(problems, &service.queue_capacity, &format!("{key}.queue_capacity"), 0, MAX_QUEUE);
        let service_time = distribution(problems, &service.service_time, &format!("{key}.service_time"));
        let admission = service.admission.as_ref().map(|a| super::shedding::admission(problems, a, &format!("{key}.admission"), scale));
        let autoscaling = service.autoscaling.as_ref().map(|a| {
            super::shedding::autoscaling(problems, a, &format!("{key}.autoscaling"), scale, (&service.workers, &format!("{key}.workers")))
        });
        let modes = service.modes.as_ref().map(|m| super::shedding::modes(problems, m, &format!("{key}.modes")));
        for region in regions {
            if !seen.insert((service_index, region)) {
                let at = service.region.as_ref().or(service.regions.first()).expect("a resolved region was named");
                let message = format!("service `{}` is defined twice in region `{}`", name_of(service), topology.region(region).id);
                problems.on(at, &key, message).expected("one entry per service and region");
            }
            if let (Some(workers), Some(queue), Some(service_time), Some(admission)) =
                (workers, queue, service_time.clone(), admission.clone().map_or(Some(None), |a| a.map(Some)))
            {
                plans.push(ServicePlan {
                    service: service_index,
                    region,
                    workers_stated: workers,
                    queue_capacity_stated: queue,
                    workers: scaled(workers, scale).max(1) as u32,
                    queue_capacity: scaled(queue, scale) as u32,
                    service_time,
                    admission,
                    autoscaling: autoscaling.clone().flatten(),
                    modes: modes.clone().flatten(),
                });
            }
        }
    }
    (specs, plans)
}

pub(super) fn name_of(service: &ServiceFile) -> &str {
    service.name.as_ref().map_or(ServiceSpec::DEFAULT_NAME, |n| n.value.as_str())
}

/// The entries that state a section a service has once (`cache`, `replication`), each with its
/// index in `services` and its service's index in `specs`. A second entry of the same service
/// stating it is reported, naming the first.
pub(super) fn stated_once<'a, T>(
    problems: &mut Problems,
    services: &'a [ServiceFile],
    specs: &[ServiceSpec],
    what: &str,
    section: impl Fn(&'a ServiceFile) -> Option<&'a S<T>>,
) -> Vec<(usize, usize, &'a S<T>)> {
    let mut stated_at: Vec<Option<usize>> = vec![None; specs.len()];
    let mut stated = Vec::new();
    for (index, service) in services.iter().enumerate() {
        let Some(file) = section(service) else { continue };
        let which = specs.iter().position(|s| s.name == name_of(service)).expect("every service has a spec");
        if let Some(first) = stated_at[which] {
            problems
                .on(
                    file,
                    format!("services[{index}].{what}"),
                    format!("service `{}` already has its {what} at services[{first}]", name_of(service)),
                )
                .expected(format!("`{what}` on one entry of a service (it applies in every region)"));
            continue;
        }
        stated_at[which] = Some(index);
        stated.push((index, which, file));
    }
    stated
}

/// Service names in order of first appearance.
fn service_names(services: &[ServiceFile]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for service in services {
        if !names.iter().any(|n| n == name_of(service)) {
            names.push(name_of(service).to_string());
        }
    }
    names
}

/// Each service's calls, call mode and deadline handling, stated on one of its entries.
fn service_specs(problems: &mut Problems, services: &[ServiceFile], names: &[String]) -> Vec<ServiceSpec> {
    let mut specs: Vec<ServiceSpec> = names
        .iter()
        .map(|name| ServiceSpec {
            name: name.clone(),
            calls: Vec::new(),
            parallel_calls: false,
            propagate_deadlines: false,
            cache: None,
            replication: None,
        })
        .collect();
    let mut stated_at: Vec<Option<usize>> = vec![None; names.len()];
    for (index, service) in services.iter().enumerate() {
        let key = format!("services[{index}]");
        let which = names.iter().position(|n| n == name_of(service)).expect("listed");
        let states_any = !service.calls.is_empty() || service.call_mode.is_some() || service.propagate_deadlines.is_some();
        if !states_any {
            continue;
        }
        if let Some(first) = stated_at[which] {
            let anchor = service.name.as_ref().map_or(service.workers.referenced, |n| n.referenced);
            problems
                .at(
                    &anchor,
                    &key,
                    format!("service `{}` already has its calls and deadline handling at services[{first}]", name_of(service)),
                )
                .expected("`calls`, `call_mode` and `propagate_deadlines` on one entry of a service (they apply in every region)");
            continue;
        }
        stated_at[which] = Some(index);
        if service.calls.len() > MAX_CALLS {
            problems
                .on(&service.workers, format!("{key}.calls"), format!("{} calls per request", service.calls.len()))
                .expected(format!("at most {MAX_CALLS}"));
        }
        let spec = &mut specs[which];
        spec.calls = service
            .calls
            .iter()
            .enumerate()
            .filter_map(|(i, call)| call_spec(problems, call, names, &format!("{key}.calls[{i}]")))
            .collect();
        spec.parallel_calls = service.call_mode.as_ref().is_some_and(|m| m.value == CallModeFile::Parallel);
        spec.propagate_deadlines = service.propagate_deadlines.as_ref().is_some_and(|p| p.value);
    }
    reject_cycles(problems, services, &specs);
    specs
}

fn call_spec(problems: &mut Problems, call: &CallFile, names: &[String], key: &str) -> Option<CallSpec> {
    let service = service_index(problems, &call.service, names, &format!("{key}.service"));
    let timeout = positive_duration(problems, &call.timeout, &format!("{key}.timeout"));
    let policy = client_policy(problems, PolicyFields::of_call(call), key);
    let fail_open = call.on_failure.as_ref().is_some_and(|f| f.value == OnFailureFile::FailOpen);
    Some(CallSpec { service: service?, timeout: timeout?, policy: policy?, fail_open })
}

pub(super) fn service_index(problems: &mut Problems, name: &S<String>, names: &[String], key: &str) -> Option<u32> {
    if let Some(index) = names.iter().position(|n| *n == name.value) {
        return Some(index as u32);
    }
    problems
        .on(name, key, format!("unknown service `{}`", name.value))
        .expected(format!("one of the services: {}", names.join(", ")))
        .suggest(did_you_mean(&name.value, names.iter().map(String::as_str)));
    None
}

/// A service that calls itself, directly or through others, would never answer.
fn reject_cycles(problems: &mut Problems, services: &[ServiceFile], specs: &[ServiceSpec]) {
    let mut state = vec![Visit::New; specs.len()];
    for start in 0..specs.len() {
        let mut path = Vec::new();
        if let Some(cycle) = find_cycle(specs, &mut state, &mut path, start) {
            let names: Vec<&str> = cycle.iter().map(|&s| specs[s].name.as_str()).collect();
            let first = &specs[cycle[0]].name;
            let entry = services.iter().position(|s| name_of(s) == *first && !s.calls.is_empty()).unwrap_or(0);
            let anchor = &services[entry].workers;
            problems
                .on(anchor, format!("services[{entry}].calls"), format!("the calls form a cycle: {}", names.join(" -> ")))
                .expected("dependencies that end (a service may not call itself, directly or indirectly)");
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    /// On the current path.
    Open,
    /// Every chain from it ends.
    Done,
}

/// A depth-first search that visits each service once (so many paths through the same services
/// cost nothing more): a call to a service still on the path closes a cycle, returned from that
/// service back to itself.
fn find_cycle(specs: &[ServiceSpec], state: &mut [Visit], path: &mut Vec<usize>, service: usize) -> Option<Vec<usize>> {
    match state[service] {
        Visit::Done => return None,
        Visit::Open => {
            let from = path.iter().position(|&s| s == service).expect("an open service is on the path");
            let mut cycle = path[from..].to_vec();
            cycle.push(service);
            return Some(cycle);
        }
        Visit::New => {}
    }
    state[service] = Visit::Open;
    path.push(service);
    for call in &specs[service].calls {
        if let Some(cycle) = find_cycle(specs, state, path, call.service as usize) {
            return Some(cycle);
        }
    }
    path.pop();
    state[service] = Visit::Done;
    None
}

/// The service a client calls: the one named, or the scenario's only service.
pub fn client_service(problems: &mut Problems, client: &ClientFile, specs: &[ServiceSpec], key: &str) -> Option<u32> {
    named_or_only(problems, client.service.as_ref(), &client.name, specs, &format!("{key}.service"))
}

/// The service `name` names, or the scenario's only service when it names none (an error,
/// located at `anchor`, when there are several).
pub(super) fn named_or_only(
    problems: &mut Problems,
    name: Option<&S<String>>,
    anchor: &S<String>,
    specs: &[ServiceSpec],
    key: &str,
) -> Option<u32> {
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    match name {
        Some(name) => service_index(problems, name, &names, key),
        None if specs.len() <= 1 => Some(0),
        None => {
            problems
                .on(anchor, key.to_string(), "the scenario has several services and this names none")
                .expected(format!("`service: <name>`, one of: {}", names.join(", ")));
            None
        }
    }
}
