//! Probes given as functions or closures at run time, without attributes:
//! [`Healthz`] and the type-states and traits its signatures use.
//!
//! ```
//! let router: axum::Router = healthz::Healthz::new().live(|| ()).ready(|| async { true }).router();
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::Router;
use axum::http::request::Parts;
use tokio::net::ToSocketAddrs;

use crate::Options;
use crate::base::checks::{IntoOutcome, Outcome};
use crate::base::kind::Probe;
use crate::base::sealed;
use crate::lifecycle::{Lifecycle, lifecycle};
use crate::probe::ProbeArgument;
use crate::run::{Evaluation, Runner};
use crate::serve::server::on_port;
use crate::serve::{Assemble, CheckFn, Endpoint, Http};

/// A probe router built from functions or closures, for what attributes
/// cannot do: several apps with different probes in one binary (integration
/// tests), probes shipped by a library, or probes chosen from configuration.
///
/// It accepts what the attributes accept (sync or `async` functions and
/// closures taking request-parts extractors and returning a
/// [`ProbeResult`](crate::ProbeResult) or [`Checks`](crate::Checks)) and
/// answers exactly as [`healthz::router()`](crate::router) does. Forgetting
/// [`live`](Healthz::live) or [`ready`](Healthz::ready) is a compile error at
/// [`router`](Healthz::router).
///
/// ```
/// use axum::{Router, extract::State};
///
/// #[derive(Clone)]
/// struct App { ready: bool }
///
/// async fn readiness(State(app): State<App>) -> bool {
///     app.ready
/// }
///
/// let app: Router = Router::new()
///     .merge(
///         healthz::Healthz::new()
///             .live(|| async {})
///             .ready(readiness)
///             .router(),
///     )
///     .with_state(App { ready: true });
/// ```
#[must_use = "call `.router()` and merge it into the app"]
pub struct Healthz<L = Missing, R = Missing> {
    live: L,
    ready: R,
    prefix: String,
    pub(crate) lifecycle: Lifecycle,
}

/// The type-state of a probe not given yet: [`Healthz::router`] is refused
/// while either probe is `Missing`.
///
/// ```
/// let builder: healthz::Healthz<healthz::builder::Missing, healthz::builder::Missing> =
///     healthz::Healthz::new();
/// ```
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Missing;

/// The type-state of a probe given to the builder: the function, its
/// options, and a marker for its shape.
///
/// ```
/// use healthz::builder::{Given, Missing};
/// use healthz::Healthz;
///
/// fn liveness() {}
/// let builder: Healthz<Given<fn(), _>, Missing> = Healthz::new().live(liveness as fn());
/// ```
#[doc(hidden)]
pub struct Given<F, M> {
    function: F,
    /// The probe's one health state, shared by the clones of the builder
    /// and every reader built from them.
    runner: Arc<Runner>,
    shape: PhantomData<fn() -> M>,
}

impl<F, M> Given<F, M> {
    fn new(kind: Probe, options: Options, function: F) -> Self {
        Given {
            function,
            runner: Arc::new(Runner::new(kind, options)),
            shape: PhantomData,
        }
    }
}

impl<F: Clone, M> Clone for Given<F, M> {
    fn clone(&self) -> Self {
        Given {
            function: self.function.clone(),
            runner: self.runner.clone(),
            shape: PhantomData,
        }
    }
}

impl<F, M> fmt::Debug for Given<F, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Given")
            .field("function", &std::any::type_name::<F>())
            .field("options", self.runner.options())
            .finish()
    }
}

impl<L: Clone, R: Clone> Clone for Healthz<L, R> {
    fn clone(&self) -> Self {
        Healthz {
            live: self.live.clone(),
            ready: self.ready.clone(),
            prefix: self.prefix.clone(),
            lifecycle: self.lifecycle.clone(),
        }
    }
}

impl<L: fmt::Debug, R: fmt::Debug> fmt::Debug for Healthz<L, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Healthz")
            .field("live", &self.live)
            .field("ready", &self.ready)
            .field("prefix", &self.prefix)
            .field("lifecycle", &self.lifecycle)
            .finish()
    }
}

impl Healthz {
    /// A builder with neither probe, the `/healthz` prefix and the
    /// process-wide [`lifecycle()`].
    ///
    /// ```
    /// let router: axum::Router = healthz::Healthz::new().live(|| ()).ready(|| ()).router();
    /// ```
    pub fn new() -> Self {
        Healthz {
            live: Missing,
            ready: Missing,
            prefix: "/healthz".to_owned(),
            lifecycle: lifecycle().clone(),
        }
    }
}

impl Default for Healthz {
    fn default() -> Self {
        Healthz::new()
    }
}

impl<L, R> Healthz<L, R> {
    /// The liveness probe, with the default [`Options`].
    ///
    /// ```
    /// let router: axum::Router = healthz::Healthz::new().live(|| ()).ready(|| true).router();
    /// ```
    pub fn live<F, M>(self, probe: F) -> Healthz<Given<F, M>, R>
    where
        F: ProbeFn<M>,
    {
        self.live_with(Options::DEFAULT, probe)
    }

    /// The liveness probe, with a timeout and caching. The [`Options`] are
    /// checked when the router is built: see [`router`](Healthz::router).
    ///
    /// ```
    /// use healthz::Options;
    /// use std::time::Duration;
    /// let router: axum::Router = healthz::Healthz::new()
    ///     .live_with(Options::DEFAULT.with_timeout(Duration::from_millis(250)), || ())
    ///     .ready(|| true)
    ///     .router();
    /// ```
    pub fn live_with<F, M>(self, options: Options, probe: F) -> Healthz<Given<F, M>, R>
    where
        F: ProbeFn<M>,
    {
        let live = Given::new(Probe::Live, options, probe);
        Healthz {
            live,
            ready: self.ready,
            prefix: self.prefix,
            lifecycle: self.lifecycle,
        }
    }

    /// The readiness probe, with the default [`Options`].
    ///
    /// ```
    /// let router: axum::Router = healthz::Healthz::new().ready(|| async { true }).live(|| ()).router();
    /// ```
    pub fn ready<F, M>(self, probe: F) -> Healthz<L, Given<F, M>>
    where
        F: ProbeFn<M>,
    {
        self.ready_with(Options::DEFAULT, probe)
    }

    /// The readiness probe, with a timeout and caching. The [`Options`] are
    /// checked when the router is built: see [`router`](Healthz::router).
    ///
    /// ```
    /// use healthz::Options;
    /// use std::time::Duration;
    /// let router: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready_with(Options::DEFAULT.with_timeout(Duration::from_millis(2_000)).with_cache(Duration::from_millis(5_000)), || async { true })
    ///     .router();
    /// ```
    pub fn ready_with<F, M>(self, options: Options, probe: F) -> Healthz<L, Given<F, M>>
    where
        F: ProbeFn<M>,
    {
        let ready = Given::new(Probe::Ready, options, probe);
        Healthz {
            live: self.live,
            ready,
            prefix: self.prefix,
            lifecycle: self.lifecycle,
        }
    }

    /// Serves the probes under `prefix` instead of `/healthz`, as
    /// [`router_at`](crate::router_at) does.
    ///
    /// ```
    /// let router: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| ())
    ///     .prefix("/internal/health")
    ///     .router();
    /// ```
    ///
    /// # Panics
    ///
    /// If `prefix` is not empty and does not start with `/`, here rather
    /// than when the router is built.
    #[track_caller]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        crate::serve::check_prefix(&prefix);
        self.prefix = prefix;
        self
    }

    /// Gates readiness and startup with `lifecycle` instead of the
    /// process-wide one, so that two apps in one process start, hold down
    /// and shut down apart.
    ///
    /// ```
    /// let lifecycle = healthz::Lifecycle::new();
    /// let router: axum::Router = healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|| ())
    ///     .lifecycle(lifecycle.clone())
    ///     .router();
    /// lifecycle.mark_not_ready("Warming the cache");
    /// ```
    pub fn lifecycle(mut self, lifecycle: Lifecycle) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// The probe routes, to merge into an app whose state is `S`.
    ///
    /// ```
    /// use axum::extract::State;
    ///
    /// #[derive(Clone)]
    /// struct AppState {
    ///     ready: bool,
    /// }
    ///
    /// let app: axum::Router = axum::Router::new()
    ///     .merge(
    ///         healthz::Healthz::new()
    ///             .live(|| ())
    ///             .ready(|State(app): State<AppState>| async move { app.ready })
    ///             .router(),
    ///     )
    ///     .with_state(AppState { ready: true });
    /// ```
    ///
    /// Both probes must be given:
    ///
    /// ```compile_fail
    /// // error: no readiness probe was given: call `.ready(...)` before `.router()`
    /// let router: axum::Router = healthz::Healthz::new().live(|| ()).router();
    /// ```
    ///
    /// # Panics
    ///
    /// If the [`Options`] of a probe are among those the attributes refuse
    /// at compile time: `stale` without `cache`, `cache` or `stale` beside
    /// `interval`, an `interval` not longer than the `timeout`, or
    /// `blocking` on an `async` probe. The message names the fix in the
    /// attribute's words, and nothing is served.
    ///
    /// ```should_panic
    /// use std::time::Duration;
    /// use healthz::Options;
    ///
    /// // Panics: `cache` has no effect with `interval`.
    /// let options = Options::DEFAULT
    ///     .with_interval(Duration::from_secs(10))
    ///     .with_cache(Duration::from_secs(5));
    /// let _: axum::Router = healthz::Healthz::new().live(|| ()).ready_with(options, || ()).router();
    /// ```
    pub fn router<S>(&self) -> Router<S>
    where
        L: LiveGiven<S>,
        R: ReadyGiven<S>,
        S: Clone + Send + Sync + 'static,
    {
        self.build(Http)
    }

    /// What `assembler` builds from the given probes' endpoints.
    pub(crate) fn build<S, A>(&self, assembler: A) -> A::Output
    where
        L: LiveGiven<S>,
        R: ReadyGiven<S>,
        S: Clone + Send + Sync + 'static,
        A: Assemble<S>,
    {
        let live = self.live.endpoint(Probe::Live);
        let ready = self.ready.endpoint(Probe::Ready);
        assembler.assemble(&self.prefix, &live, &ready, &self.lifecycle)
    }
}

impl<L, R> Healthz<L, R> {
    /// Serves the given probes under the builder's prefix on `addr`, and
    /// nothing else, until the drain of the builder's
    /// [lifecycle](Healthz::lifecycle) is over, as [`serve`](crate::serve())
    /// does for the attribute probes.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let health = healthz::Healthz::new().live(|| ()).ready(|| true);
    /// health.serve("127.0.0.1:8081").await
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`router`](Healthz::router).
    pub fn serve<A>(&self, addr: A) -> impl Future<Output = io::Result<()>> + Send + 'static
    where
        L: LiveGiven<()>,
        R: ReadyGiven<()>,
        A: ToSocketAddrs + fmt::Debug + Send + 'static,
    {
        self.serve_with_state(addr, ())
    }

    /// [`serve`](Healthz::serve) for probes whose arguments read the app's
    /// state.
    ///
    /// ```no_run
    /// use axum::extract::State;
    ///
    /// #[derive(Clone)]
    /// struct App { ready: bool }
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// healthz::Healthz::new()
    ///     .live(|| ())
    ///     .ready(|State(app): State<App>| app.ready)
    ///     .serve_with_state("127.0.0.1:8081", App { ready: true })
    ///     .await
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// As [`router`](Healthz::router).
    pub fn serve_with_state<S, A>(
        &self,
        addr: A,
        state: S,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static
    where
        L: LiveGiven<S>,
        R: ReadyGiven<S>,
        S: Clone + Send + Sync + 'static,
        A: ToSocketAddrs + fmt::Debug + Send + 'static,
    {
        on_port(
            addr,
            self.router().with_state(state),
            self.lifecycle.clone(),
        )
    }
}

/// A liveness probe given to the builder, runnable in an app whose state is
/// `S`: what [`Healthz::router`] asks of its first type parameter.
///
/// ```
/// fn has_live<L: healthz::builder::LiveGiven<()>, R>(_: &healthz::Healthz<L, R>) {}
/// has_live(&healthz::Healthz::new().live(|| ()));
/// ```
///
/// Sealed: only the builder's probes implement it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "no liveness probe was given: call `.live(...)` before `.router()`",
    label = "this needs a liveness probe"
)]
pub trait LiveGiven<S>: GivenProbe<S> {}

/// A readiness probe given to the builder, runnable in an app whose state
/// is `S`: what [`Healthz::router`] asks of its second type parameter.
///
/// ```
/// fn has_ready<L, R: healthz::builder::ReadyGiven<()>>(_: &healthz::Healthz<L, R>) {}
/// has_ready(&healthz::Healthz::new().ready(|| async { true }));
/// ```
///
/// Sealed: only the builder's probes implement it.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "no readiness probe was given: call `.ready(...)` before `.router()`",
    label = "this needs a readiness probe"
)]
pub trait ReadyGiven<S>: GivenProbe<S> {}

// Implemented for `Given` alone, not for every `GivenProbe`: a `Missing`
// probe then fails at these traits, with their message, rather than at the
// hidden `GivenProbe`.
impl<S, F: ProbeFnFor<M, S>, M> LiveGiven<S> for Given<F, M> {}
impl<S, F: ProbeFnFor<M, S>, M> ReadyGiven<S> for Given<F, M> {}

/// A given probe, with what the runtime needs to serve it.
#[doc(hidden)]
// Its method is the crate's alone: it names crate-private types.
#[allow(private_interfaces, private_bounds)]
pub trait GivenProbe<S>: sealed::Given {
    /// The probe's endpoint, sharing its one runner.
    #[doc(hidden)]
    fn endpoint(&self, kind: Probe) -> Endpoint<impl CheckFn<S>>
    where
        S: Clone + Send + Sync + 'static;
}

impl<F, M> sealed::Given for Given<F, M> {}

#[allow(private_interfaces, private_bounds)]
impl<S, F, M> GivenProbe<S> for Given<F, M>
where
    F: ProbeFnFor<M, S>,
{
    fn endpoint(&self, kind: Probe) -> Endpoint<impl CheckFn<S>>
    where
        S: Clone + Send + Sync + 'static,
    {
        let options = self.runner.options();
        if let Err(rule) = options.check(F::ASYNC) {
            panic!(
                "the {} probe's `Options` are refused: {}",
                kind.as_str(),
                rule.message()
            );
        }
        let blocking = options.blocking();
        let function = self.function.clone();
        Endpoint::new(kind, self.runner.clone(), move |parts, state| {
            function.call(parts, state, blocking)
        })
    }
}

/// A function or closure usable as a probe: sync or `async`, taking up to
/// eight request-parts extractors, returning a
/// [`ProbeResult`](crate::ProbeResult) or [`Checks`](crate::Checks). `M`
/// records its shape; it is inferred.
///
/// ```
/// use axum::extract::State;
/// use healthz::builder::ProbeFn;
///
/// fn is_probe<M>(_: impl ProbeFn<M>) {}
/// is_probe(|| ());
/// is_probe(|State(ready): State<bool>| async move { ready });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a probe",
    label = "not a probe function",
    note = "a probe is a sync or `async` function or closure taking request-parts extractors and returning `()`, `bool`, `Result<(), E>` or `healthz::Checks`"
)]
///
/// Sealed: every function and closure of that shape implements it, and
/// nothing else can.
pub trait ProbeFn<M>: Clone + Send + Sync + 'static + sealed::ProbeFn<M> {}

/// A [`ProbeFn`] whose arguments can be extracted in an app whose state is
/// `S`; implemented with `ProbeFn`, never by hand.
#[doc(hidden)]
pub trait ProbeFnFor<M, S>: ProbeFn<M> {
    /// Whether the function returns a future.
    const ASYNC: bool;

    /// Extracts the arguments from the request and calls the function, or
    /// for a sync function with `blocking`, hands the call to the runner
    /// for the blocking thread pool.
    fn call(
        self,
        parts: Parts,
        state: S,
        blocking: bool,
    ) -> impl Future<Output = Evaluation> + Send + 'static;
}

/// The shape marker of a probe function that returns its result.
#[doc(hidden)]
pub struct Returns<Args>(PhantomData<fn() -> Args>);

/// The shape marker of a probe function that returns a future.
#[doc(hidden)]
pub struct Awaits<Args>(PhantomData<fn() -> Args>);

impl<Args> fmt::Debug for Returns<Args> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Returns")
    }
}

impl<Args> fmt::Debug for Awaits<Args> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Awaits")
    }
}

macro_rules! probe_fn {
    ($($arg:ident),*) => {
        impl<F, Out, $($arg,)*> sealed::ProbeFn<Returns<($($arg,)*)>> for F
        where
            F: Fn($($arg),*) -> Out,
        {
        }

        impl<F, Out, $($arg,)*> ProbeFn<Returns<($($arg,)*)>> for F
        where
            F: Fn($($arg),*) -> Out + Clone + Send + Sync + 'static,
            Out: IntoOutcome,
        {
        }

        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Out, S, $($arg,)*> ProbeFnFor<Returns<($($arg,)*)>, S> for F
        where
            F: Fn($($arg),*) -> Out + Clone + Send + Sync + 'static,
            Out: IntoOutcome + 'static,
            S: Send + Sync + 'static,
            $(S: ProbeArgument<$arg>, $arg: Send + 'static,)*
        {
            const ASYNC: bool = false;

            async fn call(self, parts: Parts, state: S, blocking: bool) -> Evaluation {
                let mut parts = parts;
                $(let $arg = <S as ProbeArgument<$arg>>::extract(&mut parts, &state).await?;)*
                if blocking {
                    return Ok(Outcome::blocking(move || self($($arg),*).into_outcome()));
                }
                Ok(self($($arg),*).into_outcome())
            }
        }

        impl<F, Fut, $($arg,)*> sealed::ProbeFn<Awaits<($($arg,)*)>> for F
        where
            F: Fn($($arg),*) -> Fut,
            Fut: Future,
        {
        }

        impl<F, Fut, $($arg,)*> ProbeFn<Awaits<($($arg,)*)>> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send,
            Fut::Output: IntoOutcome,
        {
        }

        #[allow(non_snake_case, unused_mut, unused_variables)]
        impl<F, Fut, S, $($arg,)*> ProbeFnFor<Awaits<($($arg,)*)>, S> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: IntoOutcome,
            S: Send + Sync + 'static,
            $(S: ProbeArgument<$arg>, $arg: Send + 'static,)*
        {
            const ASYNC: bool = true;

            // `blocking` was refused for async probes when the router was built.
            async fn call(self, parts: Parts, state: S, _: bool) -> Evaluation {
                let mut parts = parts;
                $(let $arg = <S as ProbeArgument<$arg>>::extract(&mut parts, &state).await?;)*
                Ok(self($($arg),*).await.into_outcome())
            }
        }
    };
}

probe_fn!();
probe_fn!(T1);
probe_fn!(T1, T2);
probe_fn!(T1, T2, T3);
probe_fn!(T1, T2, T3, T4);
probe_fn!(T1, T2, T3, T4, T5);
probe_fn!(T1, T2, T3, T4, T5, T6);
probe_fn!(T1, T2, T3, T4, T5, T6, T7);
probe_fn!(T1, T2, T3, T4, T5, T6, T7, T8);
