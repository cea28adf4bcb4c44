//! Serving the probes over HTTP with axum: each probe's endpoint (its
//! runner, gate and check function), the routes under a prefix, what a
//! request asks for and the response it gets. It depends on `base`,
//! `report`, `format`, `run`, `observe` and `lifecycle`.

pub(crate) mod handler;
mod refresh;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod server;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use crate::base::kind::Probe;
use crate::lifecycle::Lifecycle;
use crate::lifecycle::registry::register;
use crate::report::{Report, Selection};
use crate::run::{Evaluation, Runner, Served, Start};
use handler::{Answering, Whole};
use request::Format;

/// A probe's check function as its endpoint calls it: it extracts the
/// probe's arguments from the request's parts and runs the probe, as the
/// attributes' expansions and the builder make it.
pub(crate) trait CheckFn<S>: Clone + Send + Sync + 'static {
    type Run: Future<Output = Evaluation> + Send + 'static;

    fn call(self, parts: Parts, state: S) -> Self::Run;
}

impl<S, F, Run> CheckFn<S> for F
where
    F: FnOnce(Parts, S) -> Run + Clone + Send + Sync + 'static,
    Run: Future<Output = Evaluation> + Send + 'static,
{
    type Run = Run;

    fn call(self, parts: Parts, state: S) -> Run {
        self(parts, state)
    }
}

/// What is built from a router's two probe endpoints, whichever way the
/// probes were given: the HTTP routes, and with the `grpc` feature, gRPC
/// health from the same endpoints.
pub(crate) trait Assemble<S> {
    type Output;

    fn assemble<FL, FR>(
        self,
        prefix: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Self::Output
    where
        S: Clone + Send + Sync + 'static,
        FL: CheckFn<S>,
        FR: CheckFn<S>;
}

/// The HTTP probe routes.
pub(crate) struct Http;

impl<S> Assemble<S> for Http {
    type Output = Router<S>;

    fn assemble<FL, FR>(
        self,
        prefix: &str,
        live: &Endpoint<FL>,
        ready: &Endpoint<FR>,
        lifecycle: &Lifecycle,
    ) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        FL: CheckFn<S>,
        FR: CheckFn<S>,
    {
        assemble(prefix, live, ready, lifecycle)
    }
}

/// Refuses a prefix that is neither empty nor a path, where it is given,
/// as axum's `nest` does.
#[track_caller]
pub(crate) fn check_prefix(prefix: &str) {
    assert!(
        prefix.is_empty() || prefix.starts_with('/'),
        "a healthz prefix starts with `/`, got {prefix:?}: write \"/{prefix}\""
    );
}

/// The probe routes under `prefix`, whichever way the probes were given.
pub(crate) fn assemble<S, FL, FR>(
    prefix: &str,
    live: &Endpoint<FL>,
    ready: &Endpoint<FR>,
    lifecycle: &Lifecycle,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    FL: CheckFn<S>,
    FR: CheckFn<S>,
{
    let prefix = prefix.trim_end_matches('/');
    register(lifecycle, &live.runner, &ready.runner);
    let startup = live.named(Probe::Startup).gated(Probe::Startup, lifecycle);
    let (live, ready) = (
        live.gated(Probe::Live, lifecycle),
        ready.gated(Probe::Ready, lifecycle),
    );
    let router = Router::new()
        .route(&format!("{prefix}/live"), live.whole())
        .route(&format!("{prefix}/live/{{check}}"), live.one())
        .route(&format!("{prefix}/ready"), ready.whole())
        .route(&format!("{prefix}/ready/{{check}}"), ready.one())
        .route(&format!("{prefix}/startup"), startup.whole());
    if prefix.is_empty() {
        router
    } else {
        router.route(
            &format!("{prefix}/{{name}}"),
            get(
                |name: Result<Path<String>, PathRejection>, uri: Uri| async move {
                    response::not_setup(&request::segment(name, &uri))
                },
            ),
        )
    }
}

/// Serves one probe: the whole of it at the probe's path, and one of its
/// named checks at `<path>/<check>`, sharing one runner.
pub(crate) struct Endpoint<F> {
    pub(crate) kind: Probe,
    pub(crate) runner: Arc<Runner>,
    pub(crate) check: F,
    /// The lifecycle gate that answers for the probe while it is closed.
    pub(crate) gate: Option<(Probe, Lifecycle)>,
}

impl<F: Clone> Clone for Endpoint<F> {
    fn clone(&self) -> Self {
        Endpoint {
            kind: self.kind,
            runner: self.runner.clone(),
            check: self.check.clone(),
            gate: self.gate.clone(),
        }
    }
}

impl<F> Endpoint<F> {
    /// The endpoint of the probe whose one runner is `runner`.
    pub(crate) fn new(kind: Probe, runner: Arc<Runner>, check: F) -> Self {
        Endpoint {
            kind,
            runner,
            check,
            gate: None,
        }
    }

    /// The probe's answer, for a reader other than the HTTP handler: the
    /// lifecycle's, as `Err`, while its gate is closed; else a fresh cached
    /// answer, or that of a run shared with every other reader. Each
    /// verdict is observed.
    #[cfg(feature = "grpc")]
    pub(crate) async fn served<S>(&self, state: S, parts: Parts) -> Result<Served, Report>
    where
        S: Clone + Send + 'static,
        F: CheckFn<S>,
    {
        let mut serving = self.serving(state, parts);
        (std::future::poll_fn(|cx| serving.poll_served(self, cx)).await).map_err(|report| *report)
    }

    /// How a request gets its answer, decided when it arrives: the
    /// lifecycle's while the gate is closed, boxed, so that the common
    /// answer's future stays small; else the runner's.
    pub(crate) fn serving<S>(&self, state: S, parts: Parts) -> Serving
    where
        S: Clone + Send + 'static,
        F: CheckFn<S>,
    {
        if self.runner.begins_refresh() {
            self.begin_refresh(&state, &parts);
        }
        if let Some(report) =
            (self.gate.as_ref()).and_then(|(gate, lifecycle)| lifecycle.gate(*gate))
        {
            return Serving::Closed(Some(Box::new(report)));
        }
        let check = self.check.clone();
        Serving::Open(Some(self.runner.start(move || check.call(parts, state))))
    }

    /// Begins the probe's background refresh, at its first request. The
    /// refresh stops when the shutdown of the lifecycle that gates it (the
    /// process-wide one for a probe served ungated) has drained.
    #[cold]
    fn begin_refresh<S>(&self, state: &S, parts: &Parts)
    where
        S: Clone + Send + 'static,
        F: CheckFn<S>,
    {
        let period = (self.runner.options().interval()).expect("only an interval begins a refresh");
        let (check, state) = (self.check.clone(), state.clone());
        let lifecycle = self.lifecycle().view();
        refresh::spawn(&self.runner, period, check, state, parts, lifecycle);
    }

    /// The lifecycle that gates the probe, or the process-wide one for a
    /// probe served ungated.
    fn lifecycle(&self) -> &Lifecycle {
        match &self.gate {
            Some((_, lifecycle)) => lifecycle,
            None => crate::lifecycle(),
        }
    }

    /// Whether the request with `parts` may see names and titles, by the
    /// policy of its lifecycle.
    fn shows_details(&self, parts: &Parts) -> bool {
        self.lifecycle().shows_details(parts)
    }

    /// The response to a request for `served`, in `format`, narrowed to
    /// `selection`; with its names and titles withheld unless `details`.
    fn respond(
        &self,
        served: Served,
        format: Format,
        selection: Selection,
        details: bool,
    ) -> Response {
        if format == Format::Plain && selection.is_all() {
            // What the kubelet asks for: bytes rendered once per run.
            return response::rendered(&served.answer);
        }
        let Some(mut report) = served.answer.select(&selection) else {
            return response::not_setup(selection.only.as_deref().unwrap_or_default());
        };
        if !details {
            // No check is listed, so the signals are not read for them.
            return response::probe(self.kind, &report.withheld(self.kind), format, served.stale);
        }
        if let (Some((gate, lifecycle)), false) = (&self.gate, format == Format::Plain) {
            // The app's own signals pass (the gate is open), and the
            // detailed formats list them all the same.
            report = report.with_signals(self.kind, lifecycle.entries(*gate));
        }
        response::probe(self.kind, &report, format, served.stale)
    }

    /// The same probe, answered by `lifecycle` instead while `gate` is
    /// closed: the gate is read before the runner, so a cached or slow probe
    /// never delays a shutdown.
    pub(crate) fn gated(&self, gate: Probe, lifecycle: &Lifecycle) -> Self
    where
        F: Clone,
    {
        Endpoint {
            gate: Some((gate, lifecycle.clone())),
            ..self.clone()
        }
    }

    /// The same probe, named `kind` in its answers.
    pub(crate) fn named(&self, kind: Probe) -> Self
    where
        F: Clone,
    {
        Endpoint {
            kind,
            ..self.clone()
        }
    }

    /// The probe as a whole.
    pub(crate) fn whole<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: CheckFn<S>,
    {
        // One `Arc` for the handler, which axum clones at every request.
        get(Whole(Arc::new(self.clone())))
    }

    /// One named check of the probe, by the path's last segment.
    fn one<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: CheckFn<S>,
    {
        let endpoint = Arc::new(self.clone());
        get(
            move |State(state): State<S>,
                  check: Result<Path<String>, PathRejection>,
                  request: Request| {
                let check = request::segment(check, request.uri());
                Answering::new(endpoint.clone(), state, request, Some(check))
            },
        )
    }
}

/// A request on its way to its probe's answer, polled by whatever serves
/// it: an HTTP handler's response future, a gRPC call.
pub(crate) enum Serving {
    /// The lifecycle answers while the gate is closed.
    Closed(Option<Box<Report>>),
    Open(Option<Start>),
}

impl Serving {
    /// The answer once there is one, observed; the lifecycle's as `Err`.
    pub(crate) fn poll_served<F>(
        &mut self,
        endpoint: &Endpoint<F>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Served, Box<Report>>> {
        let observer = endpoint.runner.observer();
        match self {
            Serving::Closed(report) => {
                // The change of state that closed the gate was logged; each
                // answer it gives is not.
                observer.answered(endpoint.kind, false);
                let report = report.take();
                Poll::Ready(Err(
                    report.expect("a probe's answer polled after it was given")
                ))
            }
            Serving::Open(start) => {
                let served = ready!(Start::poll_served(start, &endpoint.runner, cx));
                observer.answered(endpoint.kind, served.answer.passed());
                Poll::Ready(Ok(served))
            }
        }
    }
}
