//! A probe's endpoint as an axum handler of its own: the request and the
//! router's state go straight to the endpoint, with no extractor between,
//! and the response's future is a small type of its own, which axum boxes
//! once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;

use super::request::{self, Format};
use super::{CheckFn, Endpoint, Serving, response};
use crate::report::Selection;

/// The handler of a probe's endpoint as a whole.
pub(crate) struct Whole<F>(pub(crate) Arc<Endpoint<F>>);

impl<F> Clone for Whole<F> {
    fn clone(&self) -> Self {
        Whole(self.0.clone())
    }
}

impl<F, S> Handler<(), S> for Whole<F>
where
    S: Clone + Send + Sync + 'static,
    F: CheckFn<S>,
{
    type Future = Answering<F>;

    fn call(self, request: Request, state: S) -> Answering<F> {
        Answering::new(self.0, state, request, None)
    }
}

/// The response to a request for a probe. What can be decided when the
/// request arrives is, so that this future holds no more than how the
/// request gets its answer and how to render it.
pub(crate) struct Answering<F> {
    endpoint: Arc<Endpoint<F>>,
    format: Format,
    selection: Selection,
    /// Whether the answer may show names and titles.
    details: bool,
    serving: Serving,
}

impl<F> Answering<F> {
    /// Answers `request`, narrowed to the named check `only` if given.
    pub(crate) fn new<S>(
        endpoint: Arc<Endpoint<F>>,
        state: S,
        request: Request,
        only: Option<String>,
    ) -> Self
    where
        S: Clone + Send + 'static,
        F: CheckFn<S>,
    {
        let (parts, _body) = request.into_parts();
        let (format, mut selection) = request::read(&parts);
        selection.only = only;
        // The plain body, which the kubelet reads, asks no policy.
        let details = format == Format::Plain || endpoint.shows_details(&parts);
        let serving = endpoint.serving(state, parts);
        Answering {
            endpoint,
            format,
            selection,
            details,
            serving,
        }
    }
}

impl<F> Future for Answering<F> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = &mut *self;
        let (endpoint, format, details) = (&this.endpoint, this.format, this.details);
        Poll::Ready(match ready!(this.serving.poll_served(endpoint, cx)) {
            Ok(served) => {
                let selection = std::mem::take(&mut this.selection);
                endpoint.respond(served, format, selection, details)
            }
            Err(report) => {
                let report = if details {
                    *report
                } else {
                    report.withheld(endpoint.kind)
                };
                response::probe(endpoint.kind, &report, format, None)
            }
        })
    }
}
