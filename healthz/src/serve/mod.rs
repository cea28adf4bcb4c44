//! Serving the probes over HTTP with axum: each probe's endpoint (its
//! runner, gate and check function), the routes under a prefix, what a
//! request asks for and the response it gets. It depends on `base`,
//! `report`, `format`, `run`, `observe` and `lifecycle`.

pub(crate) mod request;
pub(crate) mod response;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{MethodRouter, get};

use crate::Options;
use crate::base::kind::Kind;
use crate::lifecycle::registry::register;
use crate::lifecycle::{Gate, Lifecycle};
use crate::report::{Report, Selection};
use crate::run::{Evaluation, Runner, Served};
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
    assert!(
        prefix.is_empty() || prefix.starts_with('/'),
        "a healthz prefix starts with `/`, got {prefix:?}"
    );
    register(lifecycle, prefix, &live.runner, &ready.runner);
    let startup = live.named(Kind::Startup).gated(Gate::Startup, lifecycle);
    let (live, ready) = (
        live.gated(Gate::Live, lifecycle),
        ready.gated(Gate::Ready, lifecycle),
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
            get(|Path(name): Path<String>| async move { response::not_setup(&name) }),
        )
    }
}

/// Serves one probe: the whole of it at the probe's path, and one of its
/// named checks at `<path>/<check>`, sharing one runner.
pub(crate) struct Endpoint<F> {
    pub(crate) kind: Kind,
    pub(crate) runner: Arc<Runner>,
    pub(crate) check: F,
    /// The lifecycle gate that answers for the probe while it is closed.
    pub(crate) gate: Option<(Gate, Lifecycle)>,
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
    pub(crate) fn new(kind: Kind, options: Options, check: F) -> Self {
        Endpoint {
            kind,
            runner: Arc::new(Runner::new(kind, options)),
            check,
            gate: None,
        }
    }

    async fn answer<S>(
        self: Arc<Self>,
        state: S,
        request: Request,
        only: Option<String>,
    ) -> Response
    where
        F: CheckFn<S>,
    {
        let (parts, _body) = request.into_parts();
        let (format, mut selection) = request::read(&parts);
        selection.only = only;
        match self.served(state, parts).await {
            Ok(served) => self.respond(served, format, selection),
            Err(report) => response::probe(self.kind, &report, format, None),
        }
    }

    /// The probe's answer, for any reader: the lifecycle's, as `Err`, while
    /// its gate is closed; else a fresh cached answer, or that of a run
    /// shared with every other reader. Each verdict is observed.
    pub(crate) async fn served<S>(&self, state: S, parts: Parts) -> Result<Served, Report>
    where
        F: CheckFn<S>,
    {
        if let Some(report) =
            (self.gate.as_ref()).and_then(|(gate, lifecycle)| lifecycle.gate(*gate))
        {
            // The change of state that closed the gate was logged; each
            // answer it gives is not.
            self.runner.observer().answered(self.kind, false);
            return Err(report);
        }
        let served = match self.runner.fresh() {
            Some(served) => served,
            // Boxed: the handler's future, which axum moves before it pins
            // it, stays small, and a fresh answer needs no allocation.
            None => {
                let check = || self.check.clone().call(parts, state);
                Box::pin(self.runner.answer(check)).await
            }
        };
        self.runner
            .observer()
            .answered(self.kind, served.answer.passed());
        Ok(served)
    }

    /// The response to a request for `served`, in `format`, narrowed to
    /// `selection`.
    fn respond(&self, served: Served, format: Format, selection: Selection) -> Response {
        if format == Format::Plain && selection.is_all() {
            // What the kubelet asks for: bytes rendered once per run.
            return response::rendered(&served.answer);
        }
        let Some(mut report) = served.answer.select(&selection) else {
            return response::not_setup(selection.only.as_deref().unwrap_or_default());
        };
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
    pub(crate) fn gated(&self, gate: Gate, lifecycle: &Lifecycle) -> Self
    where
        F: Clone,
    {
        Endpoint {
            gate: Some((gate, lifecycle.clone())),
            ..self.clone()
        }
    }

    /// The same probe, named `kind` in its answers.
    pub(crate) fn named(&self, kind: Kind) -> Self
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
        let endpoint = Arc::new(self.clone());
        get(move |State(state): State<S>, request: Request| endpoint.answer(state, request, None))
    }

    /// One named check of the probe, by the path's last segment.
    fn one<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
        F: CheckFn<S>,
    {
        let endpoint = Arc::new(self.clone());
        get(
            move |State(state): State<S>, Path(check): Path<String>, request: Request| {
                endpoint.answer(state, request, Some(check))
            },
        )
    }
}
