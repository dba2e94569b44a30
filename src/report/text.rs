//! The summary printed after a run: one table of client regions, one of servers.

use super::summary::{FailureCounts, LatencySummary, RequestCounts, Summary};
use super::timeline::csv_number;
use std::fmt::Write;

fn ms(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.1}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0))
}

fn row(out: &mut String, name: &str, requests: &RequestCounts, availability: Option<f64>, latency: &LatencySummary) {
    let f = &requests.failed;
    let _ = writeln!(
        out,
        "{name:<16} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        requests.attempted,
        requests.succeeded,
        f.timeout,
        f.rejected,
        f.error,
        f.unreachable,
        f.breaker_open + f.shed,
        percent(availability),
        ms(latency.p50),
        ms(latency.p90),
        ms(latency.p99),
        ms(latency.p999),
        ms(latency.max),
    );
}

/// One line per variant, side by side: the comparison a variant scenario exists for.
/// The failure causes the variant comparison shows, in its column order, with their names in
/// the printed table and in `variants.csv`.
const FAILURE_COLUMNS: [(&str, &str); 6] = [
    ("timeout", "failed_timeout"),
    ("rejected", "failed_rejected"),
    ("error", "failed_error"),
    ("unreach", "failed_unreachable"),
    ("breaker", "failed_breaker_open"),
    ("shed", "failed_shed"),
];

fn failure_cells(f: &FailureCounts) -> [u64; 6] {
    [f.timeout, f.rejected, f.error, f.unreachable, f.breaker_open, f.shed]
}

pub fn render_comparison(summaries: &[Summary]) -> String {
    let mut out = String::from("variants (same scenario, same seed)\n");
    let _ = write!(out, "{:<16} {:>9} {:>8} {:>8} {:>8} {:>10}", "variant", "avail", "p50", "p99", "p99.9", "attempts/r");
    for (name, _) in FAILURE_COLUMNS {
        let _ = write!(out, " {name:>8}");
    }
    out.push('\n');
    for summary in summaries {
        let _ = write!(
            out,
            "{:<16} {:>9} {:>8} {:>8} {:>8} {:>10}",
            summary.variant.as_deref().unwrap_or("-"),
            percent(summary.availability),
            ms(summary.latency_ms.p50),
            ms(summary.latency_ms.p99),
            ms(summary.latency_ms.p999),
            summary.requests.amplification.map_or("-".to_string(), |a| format!("{a:.3}")),
        );
        for count in failure_cells(&summary.requests.failed) {
            let _ = write!(out, " {count:>8}");
        }
        out.push('\n');
    }
    out
}

/// `variants.csv`: the comparison as a table for tools.
pub fn comparison_csv(summaries: &[Summary]) -> String {
    let mut out = String::from("variant,availability,p50_ms,p99_ms,p999_ms,amplification,attempted,succeeded");
    for (_, name) in FAILURE_COLUMNS {
        let _ = write!(out, ",{name}");
    }
    out.push('\n');
    for summary in summaries {
        let r = &summary.requests;
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            super::timeline::csv_field(summary.variant.as_deref().unwrap_or("")),
            csv_number(summary.availability),
            csv_number(summary.latency_ms.p50),
            csv_number(summary.latency_ms.p99),
            csv_number(summary.latency_ms.p999),
            csv_number(r.amplification),
            r.attempted,
            r.succeeded,
        );
        for count in failure_cells(&r.failed) {
            let _ = write!(out, ",{count}");
        }
        out.push('\n');
    }
    out
}

pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let run = &summary.run;
    let variant = summary.variant.as_ref().map(|v| format!(" · variant `{v}`")).unwrap_or_default();
    let _ = writeln!(out, "planetsim · scenario `{}`{variant} · seed {} · digest {}", summary.scenario, summary.seed, summary.digest);
    let _ = writeln!(
        out,
        "simulated {:.1} s from {} (arrivals {:.1} s, warm-up {:.1} s, drain {:.1} s) · scale 1:{} · {} events · stop: {}",
        run.simulated_s, run.start_utc, run.duration_s, run.warmup_s, run.drain_s, run.scale, run.events, run.stop_reason
    );
    let _ = writeln!(out, "\nclients (latency in ms, successful requests)");
    let _ = writeln!(
        out,
        "{:<16} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "region",
        "attempted",
        "succeeded",
        "timeout",
        "rejected",
        "error",
        "unreach",
        "brk/shed",
        "avail",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "max"
    );
    for (name, region) in &summary.regions {
        row(&mut out, name, &region.requests, region.availability, &region.latency_ms);
    }
    row(&mut out, "all", &summary.requests, summary.availability, &summary.latency_ms);
    if let Some(amplification) = summary.requests.amplification.filter(|a| *a > 1.0) {
        let r = &summary.requests;
        let _ =
            writeln!(out, "attempts per request {amplification:.3} ({} attempts: {} retries, {} hedges)", r.attempts, r.retries, r.hedges);
    }
    let _ = writeln!(out, "\nservers");
    let _ = writeln!(
        out,
        "{:<16} {:>8} {:>10} {:>10} {:>8} {:>7} {:>9} {:>10} {:>10}",
        "region", "workers", "arrivals", "served", "rejected", "util", "queue max", "wait mean", "wait p99"
    );
    for (name, server) in &summary.servers {
        let _ = writeln!(
            out,
            "{name:<16} {:>8} {:>10} {:>10} {:>8} {:>6.1}% {:>9} {:>10} {:>10}",
            server.workers,
            server.arrivals,
            server.served,
            server.rejected,
            server.utilisation * 100.0,
            server.queue_len_max,
            ms(server.wait_ms.mean),
            ms(server.wait_ms.p99),
        );
    }
    dependencies(&mut out, summary);
    caches(&mut out, summary);
    if !summary.faults.is_empty() {
        let _ = writeln!(
            out,
            "\nfaults (network dropped {} messages, routing converged {} times)",
            summary.network.messages_lost, summary.network.convergences
        );
        for fault in &summary.faults {
            if fault.called_off {
                let _ = writeln!(out, "  {:<24} {:<14} {:>8.1} s: called off before it started", fault.name, fault.kind, fault.start_s);
                continue;
            }
            let end = fault.end_s.map_or("end of run".to_string(), |e| format!("{e:.1} s"));
            let detect = fault.time_to_detect_s.map_or("not detected".to_string(), |s| format!("detected after {s:.1} s"));
            let recover = fault.time_to_recover_s.map_or("SLO not met again".to_string(), |s| format!("recovered {s:.1} s later"));
            let _ = writeln!(out, "  {:<24} {:<14} {:>8.1} s → {end}; {detect}; {recover}", fault.name, fault.kind, fault.start_s);
        }
    }
    if run.scale != 1.0 {
        let _ = writeln!(
            out,
            "\nscale 1:{}: the simulated requests stand for {:.0} real ones (see docs/SCALING.md)",
            run.scale, run.represented_requests
        );
    }
    out
}

/// The calls between services, and the load each layer received per client request.
fn dependencies(out: &mut String, summary: &Summary) {
    if summary.dependencies.is_empty() {
        return;
    }
    let _ = writeln!(out, "\ndependencies (calls between services; latency in ms, successful calls)");
    let _ = writeln!(
        out,
        "{:<24} {:>10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}",
        "call", "calls", "att/call", "avail", "timeout", "error", "brk/shed", "open", "on fail", "p50", "p99"
    );
    for dependency in &summary.dependencies {
        let (calls, f) = (&dependency.calls, &dependency.calls.failed);
        let _ = writeln!(
            out,
            "{:<24} {:>10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}",
            format!("{} -> {}", dependency.from, dependency.to),
            calls.attempted,
            calls.amplification.map_or("-".to_string(), |a| format!("{a:.3}")),
            percent(dependency.availability),
            f.timeout,
            f.error + f.rejected + f.unreachable,
            f.breaker_open + f.shed,
            dependency.failed_open,
            if dependency.fail_open { "open" } else { "closed" },
            ms(dependency.latency_ms.p50),
            ms(dependency.latency_ms.p99),
        );
    }
    let layers: Vec<String> = summary
        .services
        .iter()
        .map(|(name, s)| format!("{name} {}", s.per_client_request.map_or("-".to_string(), |r| format!("{r:.3}"))))
        .collect();
    let _ = writeln!(out, "requests received per client request: {}", layers.join(", "));
}

/// Reads, writes and each cache tier, for a scenario with keys.
fn caches(out: &mut String, summary: &Summary) {
    let Some(data) = &summary.data else { return };
    let _ = writeln!(
        out,
        "\ndata ({} keys, {}): reads {} ({} available), writes {} ({} available), read age p50 {} ms, p99 {} ms",
        data.keys,
        data.popularity,
        data.reads.attempted,
        percent(data.reads.availability),
        data.writes.attempted,
        percent(data.writes.availability),
        ms(data.read_age_ms.p50),
        ms(data.read_age_ms.p99),
    );
    replicas(out, data);
    if data.caches.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{:<16} {:>10} {:>9} {:>9} {:>9} {:>10} {:>10} {:>11} {:>8}",
        "cache", "lookups", "hit ratio", "coalesced", "lease wait", "origin", "origin/s", "peak/s", "stale"
    );
    for (service, cache) in &data.caches {
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>9} {:>9} {:>9} {:>10} {:>10.1} {:>11.1} {:>8}",
            service,
            cache.lookups,
            percent(cache.hit_ratio),
            cache.coalesced,
            cache.lease_waits,
            cache.origin_requests,
            cache.origin_per_s_mean,
            cache.origin_per_s_peak,
            cache.stale_hits,
        );
    }
}

/// Each replicated service's members, failovers and the stock.
fn replicas(out: &mut String, data: &super::data::DataSummary) {
    for (service, group) in &data.replication {
        let _ = writeln!(
            out,
            "replication of {service} ({}, {} acks, reads {}): {} stale reads of {}, {} conflicts, {} lost updates",
            group.mode, group.write_acks, group.reads, group.stale_reads, group.reads_served, group.conflicts, group.lost_updates
        );
        let _ = writeln!(
            out,
            "{:<16} {:>12} {:>9} {:>10} {:>12} {:>12} {:>10}",
            "replica", "role", "commits", "applied", "lag p99 ms", "stale p99 ms", "refused"
        );
        for (region, m) in &group.members {
            let refused = m.counts.refused_writes + m.counts.refused_stale + m.counts.ack_failures + m.counts.misdirected;
            let _ = writeln!(
                out,
                "{:<16} {:>12} {:>9} {:>10} {:>12} {:>12} {:>10}",
                region,
                m.role_at_end,
                m.counts.commits,
                m.counts.applied,
                ms(m.lag_ms.p99),
                ms(m.read_staleness_ms.p99),
                refused
            );
        }
        for f in &group.failovers {
            let rto = f.rto_s.map_or("-".to_string(), |r| format!("{r:.1} s"));
            let _ = writeln!(
                out,
                "failover {} -> {} at {:.1} s: RTO {rto}, {} acknowledged writes lost (RPO {:.3} s), {} split-brain writes",
                f.from, f.to, f.decided_s, f.lost_writes, f.rpo_s, f.split_brain_writes
            );
        }
        for order in group.placement.iter().flat_map(|p| &p.orders) {
            let done = match (order.started_s, order.completed_s, order.duration_s) {
                (None, ..) => "lost: its server was down".to_string(),
                (Some(_), ..) if order.ranges_planned == 0 => "nothing to move".to_string(),
                (Some(_), Some(at), Some(took)) => format!("done at {at:.1} s, {took:.1} s after it started"),
                _ => format!("{} of {} ranges taken by the end", order.ranges_taken, order.ranges_planned),
            };
            let leaderless = order.leaderless_ms_max.map_or(String::new(), |m| format!(", ranges leaderless up to {m:.0} ms"));
            let _ = writeln!(
                out,
                "{} of {} at {:.1} s: {} ranges, {done}{leaderless}",
                order.order, order.from, order.at_s, order.ranges_planned
            );
        }
    }
    if let Some(stock) = &data.stock {
        let _ = writeln!(
            out,
            "stock: {} units sold of {} x {} ({} oversold), {} sold-out answers",
            stock.sold, stock.items, stock.units_each, stock.oversold, stock.sold_out_answers
        );
    }
}
