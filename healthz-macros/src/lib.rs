//! The attributes of [`healthz`](https://docs.rs/healthz). Depend on `healthz`
//! and write `#[healthz::live]` and `#[healthz::ready]`: this crate is an
//! implementation detail and its expansions name only `healthz` paths.

#[cfg(test)]
mod agreement;
mod errors;
mod expand;
mod parse;
mod probe;
#[cfg(test)]
mod properties;
mod validate;

use proc_macro::TokenStream;
use quote::quote;

use probe::Probe;

/// Makes a function the app's liveness probe, served at `/healthz/live`.
///
/// The function stays as written and callable by its name. It may be sync
/// or `async`, take axum extractors that read request parts (`State<T>`,
/// `Extension<T>`, `HeaderMap`, ...) and return `()`, `bool`,
/// `Result<(), E>` or `healthz::Checks`. Liveness should fail only when a
/// restart would help, so it rarely checks dependencies.
///
/// Arguments, all optional, as [`healthz::Options`] describes them:
/// `timeout = "2s"` (900 ms by default), `cache = "5s"` (none by default),
/// `stale = "1m"` (with `cache` only: serve the expired answer at once while
/// it is refreshed), `interval = "10s"` (run in the background every 10 s
/// and answer every request from the latest run; longer than the timeout,
/// and neither `cache` nor `stale` beside it), `history = 32` (transitions
/// kept per probe and per check) and `blocking` (a sync probe runs on the
/// blocking thread pool). Durations are written `"500ms"`, `"2s"`, `"1m"`
/// or `"1h"`.
///
// The page of the healthz release these macros come with: they are always
// used at their own version.
#[doc = concat!("[`healthz::Options`]: https://docs.rs/healthz/", env!("CARGO_PKG_VERSION"), "/healthz/struct.Options.html")]
///
/// ```
/// #[healthz::live]
/// fn liveness() {}
/// # #[healthz::ready] fn readiness() {}
///
/// liveness(); // still an ordinary function
/// let app: axum::Router = healthz::router();
/// ```
#[proc_macro_attribute]
pub fn live(args: TokenStream, item: TokenStream) -> TokenStream {
    probe(Probe::Live, args.into(), item.into()).into()
}

/// Makes a function the app's readiness probe, served at `/healthz/ready`.
///
/// The function stays as written and callable by its name. It may be sync
/// or `async`, take axum extractors that read request parts (`State<T>`,
/// `Extension<T>`, `HeaderMap`, ...) and return `()`, `bool`,
/// `Result<(), E>` or `healthz::Checks`. Readiness fails while the app
/// cannot serve traffic, for example when its database is unreachable.
///
/// Arguments, all optional, as [`healthz::Options`] describes them:
/// `timeout = "2s"` (900 ms by default), `cache = "5s"` (none by default),
/// `stale = "1m"` (with `cache` only: serve the expired answer at once while
/// it is refreshed), `interval = "10s"` (run in the background every 10 s
/// and answer every request from the latest run; longer than the timeout,
/// and neither `cache` nor `stale` beside it), `history = 32` (transitions
/// kept per probe and per check) and `blocking` (a sync probe runs on the
/// blocking thread pool). Durations are written `"500ms"`, `"2s"`, `"1m"`
/// or `"1h"`.
///
// The page of the healthz release these macros come with: they are always
// used at their own version.
#[doc = concat!("[`healthz::Options`]: https://docs.rs/healthz/", env!("CARGO_PKG_VERSION"), "/healthz/struct.Options.html")]
///
/// ```
/// use axum::extract::State;
/// use healthz::HealthError;
///
/// #[derive(Clone)]
/// struct App { db_up: bool }
///
/// # #[healthz::live] fn liveness() {}
/// #[healthz::ready]
/// async fn readiness(State(app): State<App>) -> Result<(), HealthError> {
///     if app.db_up { Ok(()) } else { Err(HealthError::new("Can't connect to the database")) }
/// }
///
/// let app: axum::Router = axum::Router::new()
///     .merge(healthz::router())
///     .with_state(App { db_up: true });
/// ```
#[proc_macro_attribute]
pub fn ready(args: TokenStream, item: TokenStream) -> TokenStream {
    probe(Probe::Ready, args.into(), item.into()).into()
}

fn probe(
    kind: Probe,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let function = parse::function(kind, item.clone());
    let args = parse::args(kind, args).and_then(|args| match &function {
        Ok(function) => validate::args_for(&args, function).map(|()| args),
        Err(_) => Ok(args),
    });
    let probe = match &function {
        Ok(function) => validate::probe(kind, function),
        Err(error) => Err(error.clone()),
    };
    match (args, probe) {
        (Ok(args), Ok(probe)) => {
            let expansion = expand::probe(kind, &probe, &args);
            quote!(#item #expansion)
        }
        (args, probe) => {
            // Report every mistake at once, keep the function so the rest of
            // the crate still resolves it, and satisfy `healthz::router()`
            // so it adds no error of its own.
            let errors =
                [args.err(), probe.err()]
                    .into_iter()
                    .flatten()
                    .reduce(|mut all, error| {
                        all.combine(error);
                        all
                    });
            let errors = errors.map(|errors| errors.to_compile_error());
            // A method sits in an `impl` block, where the fallback's items
            // are not allowed.
            let is_method = function.is_ok_and(|function| function.sig.receiver().is_some());
            let fallback = (!is_method).then(|| expand::fallback(kind));
            quote!(#item #errors #fallback)
        }
    }
}
