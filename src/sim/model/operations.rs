//! The planet's side of operations: judging alert rules at the end of every timeline window,
//! and carrying out operator actions (see `crate::operations`).

use super::Planet;
use crate::actors::messages::Msg;
use crate::kernel::{Scheduler, SimDuration, SimTime};
use crate::metrics::TimelineRow;
use crate::operations::{Awaited, Effect, Scope, Signal, Transition, Trigger, alerts};

impl Planet {
    /// Schedules the actions set for a time; the others wait for what they await.
    pub(super) fn schedule_timed_actions(&self, ctx: &mut Scheduler<Msg>) {
        for (index, action) in self.operations.actions.iter().enumerate() {
            if let Trigger::At(at) = action.trigger {
                ctx.send_at(at, self.addresses().injector(), Msg::Action { action: index as u16 });
            }
        }
    }

    /// Judges every alert on the window that ends now. Called from the state sample, after the
    /// replicas' lags are sampled.
    pub(super) fn judge_alerts(&mut self, ctx: &mut Scheduler<Msg>) {
        let now = ctx.now();
        self.recorder.advance(now);
        let start = SimTime(now.0.saturating_sub(self.sample_every.0));
        let utilisation = self.window_utilisation(start, now);
        for index in 0..self.operations.alerts.len() {
            let value = self.signal(index, now, &utilisation);
            let rule = &self.operations.alerts[index];
            match self.alert_states[index].observe(rule, start, now, value) {
                Some(Transition::Fired) => {
                    let detail = format!("{} ({} {})", rule.describe(), rule.signal.name(), shown(value));
                    self.recorder.log(now, "alert-fired", &rule.name, detail);
                    if self.alert_states[index].firings.len() == 1 {
                        self.start_followers(ctx, Awaited::Alert(index as u16));
                    }
                }
                Some(Transition::Cleared) => {
                    let detail = format!("{} {}", rule.signal.name(), shown(value));
                    self.recorder.log(now, "alert-cleared", &rule.name, detail);
                }
                None => {}
            }
        }
    }

    /// Each server's utilisation over the window `[start, now)`: busy over alive worker-time,
    /// `None` during the warm-up (as for client signals) or with no worker alive.
    fn window_utilisation(&mut self, start: SimTime, now: SimTime) -> Vec<Option<f64>> {
        if !self.operations.alerts.iter().any(|a| a.signal == Signal::Utilisation) {
            return Vec::new();
        }
        (0..self.servers.len())
            .map(|server| {
                let (busy, alive) = self.servers[server].worker_time(now);
                let (busy_before, alive_before) = std::mem::replace(&mut self.last_worker_time[server], (busy, alive));
                let measured = self.servers[server].measured().from <= start;
                (measured && alive > alive_before).then(|| (busy - busy_before) as f64 / (alive - alive_before) as f64)
            })
            .collect()
    }

    /// The value of alert `index`'s signal over the window that ends at `end`, if measured.
    fn signal(&self, index: usize, end: SimTime, utilisation: &[Option<f64>]) -> Option<f64> {
        let rule = &self.operations.alerts[index];
        match &rule.scope {
            Scope::Clients(region) => client_signal(rule.signal, self.recorder.row_ending_at(end, *region)?),
            Scope::Servers(servers) => {
                let value = |server: u32| -> Option<f64> {
                    let s = server as usize;
                    match rule.signal {
                        Signal::Utilisation => utilisation.get(s).copied().flatten(),
                        Signal::QueueLength => Some(self.servers[s].queue_len() as f64),
                        Signal::MemoryMb => self.servers[s].memory_mb(end),
                        Signal::ReplicaLagS => self.replica_lag[s].map(|lag| lag.as_secs_f64()),
                        _ => None,
                    }
                };
                servers.iter().filter_map(|&s| value(s)).reduce(|a, b| alerts::worst(rule.comparison, a, b))
            }
        }
    }

    /// Schedules the actions that wait for `awaited`, each after its delay.
    fn start_followers(&mut self, ctx: &mut Scheduler<Msg>, awaited: Awaited) {
        let injector = self.addresses().injector();
        for (action, delay) in self.operations.followers(awaited) {
            ctx.send(delay, injector, Msg::Action { action });
        }
    }

    /// Carries out operator action `index` now.
    pub(super) fn on_action(&mut self, ctx: &mut Scheduler<Msg>, index: u16) {
        let now = ctx.now();
        self.actions_done[index as usize] = Some(now);
        let action = &self.operations.actions[index as usize];
        let detail = match &action.effect {
            Effect::Note => "note".to_string(),
            Effect::EndFault { fault } => format!("end-fault {}", self.faults.faults[*fault as usize].name),
            Effect::Scale { order, .. } => format!("scale the pool to {}", order.workers),
        };
        self.recorder.log(now, "action", &action.name, detail);
        match &action.effect {
            Effect::Note => {}
            &Effect::EndFault { fault } => self.repair(ctx, fault),
            Effect::Scale { servers, .. } => {
                for &server in servers {
                    ctx.send(SimDuration::ZERO, self.addresses().server(server), Msg::ServerAction { action: index });
                }
            }
        }
        self.start_followers(ctx, Awaited::Action(index));
    }

    /// An operator ends `fault` now: it ends as it would have on schedule, or never starts if
    /// it has not yet. Its windows end now, and its reported end is now.
    fn repair(&mut self, ctx: &mut Scheduler<Msg>, fault: u16) {
        let (index, now) = (fault as usize, ctx.now());
        let planned = &mut self.faults.faults[index];
        let name = planned.name.clone();
        if self.fault_active[index] {
            planned.end = Some(now);
            self.on_fault(ctx, fault, false);
        } else if self.fault_repaired[index] || planned.start < now {
            self.recorder.log(now, "fault-already-over", &name, "nothing to end".to_string());
            return;
        } else {
            planned.called_off = true;
            planned.end = Some(planned.start);
            self.recorder.log(now, "fault-called-off", &name, "before it started".to_string());
        }
        self.fault_repaired[index] = true;
        self.recorder.end_periods_of_fault(fault, now);
    }
}

fn client_signal(signal: Signal, row: &TimelineRow) -> Option<f64> {
    let c = &row.counters;
    match signal {
        Signal::ErrorRate => (c.ended() > 0).then(|| c.failed() as f64 / c.ended() as f64),
        Signal::P50Ms => row.p50_ms,
        Signal::P99Ms => row.p99_ms,
        Signal::RequestsPerS => (row.length.0 > 0).then(|| c.attempted as f64 / row.length.as_secs_f64()),
        Signal::RetryRate => (c.attempted > 0).then(|| c.retries as f64 / c.attempted as f64),
        _ => None,
    }
}

fn shown(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.4}"))
}
