//! Validation of a client population's resilience policy: `attempt_timeout`, `retries`,
//! `breaker` and `hedge`.

use super::checks::{optional, positive, positive_duration, positive_duration_or, share, whole};
use super::diagnostic::Problems;
use super::files::{BackoffFile, BreakerFile, CallFile, ClientFile, HedgeFile, JitterFile, RetriesFile, RetryCauseFile, S};
use crate::actors::policy::{Backoff, BreakerPolicy, ClientPolicy, HedgePolicy, Jitter, RetryOn, RetryPolicy};
use crate::kernel::SimDuration;

pub const DEFAULT_BACKOFF_BASE: SimDuration = SimDuration::from_millis(100);
pub const DEFAULT_BACKOFF_CAP: SimDuration = SimDuration::from_secs(10);
pub const DEFAULT_BACKOFF_MULTIPLIER: f64 = 2.0;
const MAX_RETRIES: i64 = 20;
const MAX_HEDGES: i64 = 5;

/// The resilience settings a client or a dependency call may carry.
pub struct PolicyFields<'a> {
    pub attempt_timeout: Option<&'a S<String>>,
    pub retries: Option<&'a RetriesFile>,
    pub breaker: Option<&'a BreakerFile>,
    pub hedge: Option<&'a HedgeFile>,
}

impl<'a> PolicyFields<'a> {
    pub fn of_client(client: &'a ClientFile) -> Self {
        PolicyFields {
            attempt_timeout: client.attempt_timeout.as_ref(),
            retries: client.retries.as_ref(),
            breaker: client.breaker.as_ref(),
            hedge: client.hedge.as_ref(),
        }
    }

    pub fn of_call(call: &'a CallFile) -> Self {
        PolicyFields {
            attempt_timeout: call.attempt_timeout.as_ref(),
            retries: call.retries.as_ref(),
            breaker: call.breaker.as_ref(),
            hedge: call.hedge.as_ref(),
        }
    }
}

/// Validates every part before giving up, so all of a policy's problems are reported at once.
pub fn client_policy(problems: &mut Problems, fields: PolicyFields, key: &str) -> Option<ClientPolicy> {
    let attempt_timeout = fields.attempt_timeout.map(|t| positive_duration(problems, t, &format!("{key}.attempt_timeout")));
    let retry = fields.retries.map(|file| retries(problems, file, &format!("{key}.retries")));
    let breaker = fields.breaker.map(|file| breaker(problems, file, &format!("{key}.breaker")));
    let hedge = fields.hedge.map(|file| hedge(problems, file, &format!("{key}.hedge")));
    Some(ClientPolicy {
        attempt_timeout: optional(attempt_timeout)?,
        retry: optional(retry)?,
        breaker: optional(breaker)?,
        hedge: optional(hedge)?,
    })
}

fn retries(problems: &mut Problems, file: &RetriesFile, key: &str) -> Option<RetryPolicy> {
    let max = whole(problems, &file.max, &format!("{key}.max"), 0, MAX_RETRIES);
    let on = file.on.as_ref().map_or(RetryOn::ALL, |causes| {
        let has = |cause: RetryCauseFile| causes.iter().any(|c| c.value == cause);
        RetryOn {
            timeout: has(RetryCauseFile::Timeout),
            rejected: has(RetryCauseFile::Rejected),
            error: has(RetryCauseFile::Error),
            unreachable: has(RetryCauseFile::Unreachable),
        }
    });
    let budget_ratio = file.budget.as_ref().map(|ratio| share(problems, ratio, &format!("{key}.budget")));
    let backoff = backoff(problems, file, key);
    Some(RetryPolicy { max: max?, on, backoff: backoff?, budget_ratio: optional(budget_ratio)? })
}

fn backoff(problems: &mut Problems, file: &RetriesFile, key: &str) -> Option<Backoff> {
    let kind = file.backoff.as_ref().map_or(BackoffFile::Exponential, |b| b.value);
    if kind == BackoffFile::Immediate {
        let given = [
            ("base", file.base.as_ref().map(|v| v.referenced)),
            ("multiplier", file.multiplier.as_ref().map(|v| v.referenced)),
            ("cap", file.cap.as_ref().map(|v| v.referenced)),
            ("jitter", file.jitter.as_ref().map(|v| v.referenced)),
        ];
        let expected = "`backoff: exponential`, or no backoff parameters";
        super::checks::reject_keys(problems, &given, &[], key, "immediate retries", expected);
        return Some(Backoff::Immediate);
    }
    let base = positive_duration_or(problems, &file.base, &format!("{key}.base"), DEFAULT_BACKOFF_BASE);
    let cap = positive_duration_or(problems, &file.cap, &format!("{key}.cap"), DEFAULT_BACKOFF_CAP);
    let multiplier = file.multiplier.as_ref().map_or(DEFAULT_BACKOFF_MULTIPLIER, |m| positive(problems, m, &format!("{key}.multiplier")));
    let jitter = match file.jitter.as_ref().map_or(JitterFile::Full, |j| j.value) {
        JitterFile::None => Jitter::None,
        JitterFile::Full => Jitter::Full,
        JitterFile::Equal => Jitter::Equal,
    };
    Some(Backoff::Exponential { base: base?, multiplier, cap: cap?, jitter })
}

fn breaker(problems: &mut Problems, file: &BreakerFile, key: &str) -> Option<BreakerPolicy> {
    let window = positive_duration(problems, &file.window, &format!("{key}.window"));
    let min_requests = whole(problems, &file.min_requests, &format!("{key}.min_requests"), 1, 1_000_000);
    let error_rate = share(problems, &file.error_rate, &format!("{key}.error_rate"));
    let open_for = positive_duration(problems, &file.open_for, &format!("{key}.open_for"));
    let probes = file.probes.as_ref().map_or(Some(1), |p| whole(problems, p, &format!("{key}.probes"), 1, 1000));
    Some(BreakerPolicy { window: window?, min_requests: min_requests?, error_rate: error_rate?, open_for: open_for?, probes: probes? })
}

fn hedge(problems: &mut Problems, file: &HedgeFile, key: &str) -> Option<HedgePolicy> {
    let after = positive_duration(problems, &file.after, &format!("{key}.after"));
    let max = file.max.as_ref().map_or(Some(1), |m| whole(problems, m, &format!("{key}.max"), 1, MAX_HEDGES));
    Some(HedgePolicy { after: after?, max: max? })
}
