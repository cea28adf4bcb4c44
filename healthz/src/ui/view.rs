//! The health of the probes and the app's signals now, with their history,
//! as the status page, `/history` and the event stream's first event give
//! it.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::health::Health;
use crate::history::time::{rfc3339, unix_millis};
use crate::lifecycle::Lifecycle;

/// What the page shows, as JSON; names and titles only with `details`.
pub(crate) fn now(health: &Health, lifecycle: &Lifecycle, details: bool) -> Value {
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let title = |title: Option<&str>| title.filter(|_| details).map(str::to_owned);
    let snapshot = health.snapshot();
    let probes: Vec<Value> = (snapshot.probes().iter())
        .map(|probe| {
            let checks: Vec<Value> = match details {
                true => (probe.checks())
                    .map(|check| {
                        json!({
                            "name": check.key(),
                            "status": check.status().as_str(),
                            "title": check.title(),
                            "duration_ms": millis(check.duration()),
                        })
                    })
                    .collect(),
                false => Vec::new(),
            };
            json!({
                "probe": probe.probe().as_str(),
                "status": probe.status().map(|status| status.as_str()),
                "title": title(probe.title()),
                "age_ms": probe.age().map(millis),
                "duration_ms": probe.duration().map(millis),
                "checks": checks,
            })
        })
        .collect();
    let signals = lifecycle.signals_view();
    let heartbeats: Vec<Value> = (signals.heartbeats.iter())
        .map(|beat| {
            json!({
                "subject": match details {
                    true => format!("heartbeat:{}", beat.name),
                    false => "heartbeat".to_owned(),
                },
                "name": if details { Some(&beat.name) } else { None },
                "status": if beat.title.is_some() { "fail" } else { "pass" },
                "title": title(beat.title.as_deref()),
                "silent_ms": millis(beat.silent),
                "period_ms": millis(beat.period),
            })
        })
        .collect();
    let holds: Vec<Option<&String>> = (signals.holds.iter())
        .map(|reason| details.then_some(reason))
        .collect();
    // Each signal as a state, in the words both renderers show: a signal
    // is not a check that passes.
    let state = |subject: &str, failing: bool, words: [&str; 2], title: Option<&str>| {
        json!({
            "subject": subject,
            "status": if failing { "fail" } else { "pass" },
            "word": words[usize::from(failing)],
            "title": title,
        })
    };
    let mut states = vec![
        state(
            "started",
            !signals.started,
            ["STARTED", "NOT STARTED"],
            None,
        ),
        state(
            "shutting down",
            signals.shutting_down,
            ["NO", "YES"],
            signals
                .shutting_down
                .then_some("The server is shutting down"),
        ),
        state(
            "broken",
            signals.broken.is_some(),
            ["NO", "YES"],
            title(signals.broken.as_deref()).as_deref(),
        ),
        state(
            "not ready",
            signals.not_ready.is_some(),
            ["NO", "YES"],
            title(signals.not_ready.as_deref()).as_deref(),
        ),
    ];
    for hold in &holds {
        states.push(state("hold", true, ["", "HELD"], hold.map(String::as_str)));
    }
    let history: Vec<Value> = (health.history().iter())
        .filter(|entry| entry.is_shown(details))
        .map(|entry| entry.json(details))
        .collect();
    json!({
        "time": rfc3339(SystemTime::now()),
        "now_ms": unix_millis(SystemTime::now()),
        "details": details,
        "probes": probes,
        "lifecycle": {
            "states": states,
            "heartbeats": heartbeats,
        },
        "history": history,
    })
}
