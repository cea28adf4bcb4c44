//! The spans of probe runs, as a subscriber records them: one per run and
//! one per named check, none for requests that share a run or are served a
//! cached answer.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use healthz::{Check, Checks, HealthError, Healthz, Lifecycle, Options};
use tower_http::trace::TraceLayer;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, subscriber::DefaultGuard};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[derive(Clone, Debug, Default)]
struct Recorded {
    name: &'static str,
    parent: Option<&'static str>,
    follows_from: Vec<&'static str>,
    fields: BTreeMap<&'static str, String>,
    closed: bool,
}

/// Every span, by id.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<BTreeMap<u64, Recorded>>>);

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut span = Recorded {
            name: attrs.metadata().name(),
            parent: ctx
                .span(id)
                .and_then(|span| span.parent())
                .map(|p| p.name()),
            ..Recorded::default()
        };
        attrs.record(&mut Fields(&mut span.fields));
        self.0.lock().unwrap().insert(id.into_u64(), span);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        values.record(&mut Fields(
            &mut spans.get_mut(&id.into_u64()).unwrap().fields,
        ));
    }
    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let name = ctx.span(follows).unwrap().name();
        let mut spans = self.0.lock().unwrap();
        spans
            .get_mut(&id.into_u64())
            .unwrap()
            .follows_from
            .push(name);
    }
    fn on_close(&self, id: Id, _: Context<'_, S>) {
        if let Some(span) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            span.closed = true;
        }
    }
}

impl Spans {
    /// Records the spans of this thread, where a current-thread test
    /// runtime runs the server and the probes.
    fn install() -> (Spans, DefaultGuard) {
        let spans = Spans::default();
        let subscriber = tracing_subscriber::registry().with(spans.clone());
        (spans, tracing::subscriber::set_default(subscriber))
    }

    fn named(&self, name: &str) -> Vec<Recorded> {
        (self.0.lock().unwrap().values())
            .filter(|span| span.name == name)
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn one_span_per_run_and_per_check_none_per_shared_or_cached_request() {
    let _turn = support::one_at_a_time().await;
    let (spans, _guard) = Spans::install();
    let app = Healthz::new()
        .live(|| ())
        .ready_with(Options::DEFAULT.with_cache(Duration::from_secs(60)), || {
            Checks::new()
                .check("database", async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok::<(), HealthError>(())
                })
                .add_check(
                    Check::new("search", async { Err(HealthError::new("Index is stale")) })
                        .warn_only(),
                )
        })
        .lifecycle(Lifecycle::new())
        .router()
        .layer(TraceLayer::new_for_http());
    let addr = support::serve(app).await;

    // Five requests share one run; three more are served from the cache.
    let shared: Vec<_> = (0..5)
        .map(|_| tokio::spawn(support::get(addr, "/healthz/ready")))
        .collect();
    for reply in shared {
        assert_eq!(reply.await.unwrap().status, 200);
    }
    for _ in 0..3 {
        assert_eq!(support::get(addr, "/healthz/ready").await.status, 200);
    }

    assert_eq!(spans.named("request").len(), 8, "the app's request spans");
    let runs = spans.named("healthz.probe");
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    assert_eq!(run.parent, None, "a shared run is no request's child");
    assert_eq!(
        run.follows_from,
        ["request"],
        "it follows from the leading request"
    );
    let fields = &run.fields;
    assert_eq!(fields["probe"], "ready");
    assert!(!fields.contains_key("router"), "one series per probe");
    assert_eq!(fields["result"], "warn");
    let took: f64 = fields["duration_ms"].parse().unwrap();
    assert!(took >= 100.0, "{took}");
    assert!(run.closed);

    let mut checks = spans.named("healthz.check");
    checks.sort_by(|a, b| a.fields["check"].cmp(&b.fields["check"]));
    let summary: Vec<_> = checks
        .iter()
        .map(|span| {
            let result = span.fields["result"].as_str();
            (
                span.parent,
                span.fields["check"].as_str(),
                result,
                span.closed,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("healthz.probe"), "database", "pass", true),
            (Some("healthz.probe"), "search", "warn", true),
        ]
    );
    let database: f64 = checks[0].fields["duration_ms"].parse().unwrap();
    assert!(database >= 100.0, "{database}");
}
