//! The background refresh of a probe with an `interval`: one more writer of
//! its state, through the same single flight as the requests' runs.

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::http::Request;
use axum::http::request::Parts;
use tokio::time::MissedTickBehavior;

use super::CheckFn;
use crate::lifecycle::Lifecycle;
use crate::run::Runner;

/// Runs the probe of `runner` every `period` from now on, until the
/// shutdown of `lifecycle` has drained or the probe is dropped. A run has
/// no request: its arguments are extracted from a `GET` of the path of
/// `first`, the first request served, without its headers or query but
/// with its extensions (where `Extension` layers put their values), and
/// the router's `state`.
pub(crate) fn spawn<S, F>(
    runner: &Arc<Runner>,
    period: Duration,
    check: F,
    state: S,
    first: &Parts,
    lifecycle: Lifecycle,
) where
    S: Clone + Send + 'static,
    F: CheckFn<S>,
{
    let mut alive = runner.alive();
    let ending = Ending {
        runner: Arc::downgrade(runner),
        drained: false,
    };
    let path = first.uri.path().to_owned();
    let extensions = first.extensions.clone();
    tokio::spawn(async move {
        let mut ending = ending;
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        // A run longer than the period delays the next tick, rather than
        // bunching the missed ones.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let drained = lifecycle.drained();
        tokio::pin!(drained);
        loop {
            tokio::select! {
                () = &mut drained => {
                    ending.drained = true;
                    return;
                }
                // Only fails, once the probe is dropped.
                _ = alive.changed() => return,
                _ = ticks.tick() => {}
            }
            let Some(runner) = ending.runner.upgrade() else {
                return;
            };
            let (mut parts, ()) = Request::get(&path)
                .body(())
                .unwrap_or_else(|_| Request::new(()))
                .into_parts();
            parts.extensions = extensions.clone();
            let (check, state) = (check.clone(), state.clone());
            runner.refresh(move || check.call(parts, state)).await;
        }
    });
}

/// Ends a refresh: one that ends before the shutdown drained (its runtime
/// shut down under it) lets the probe's next request begin another.
struct Ending {
    runner: Weak<Runner>,
    drained: bool,
}

impl Drop for Ending {
    fn drop(&mut self) {
        if let (false, Some(runner)) = (self.drained, self.runner.upgrade()) {
            runner.refresh_ended();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::base::checks::Outcome;
    use crate::base::kind::Probe;
    use crate::lifecycle::stop_signal::one_terminate;
    use crate::run::Evaluation;

    const PERIOD: Duration = Duration::from_secs(1);

    /// A probe refreshed each second, and how many times it ran.
    fn refreshed(lifecycle: &Lifecycle) -> (Arc<Runner>, Arc<AtomicUsize>) {
        let options = crate::Options::DEFAULT.with_interval(PERIOD);
        let runner = Arc::new(Runner::new(Probe::Ready, options));
        let runs = Arc::new(AtomicUsize::new(0));
        let check = {
            let runs = runs.clone();
            move |_: Parts, (): ()| {
                runs.fetch_add(1, Ordering::SeqCst);
                std::future::ready::<Evaluation>(Ok(Outcome::Done(Ok(()))))
            }
        };
        let first = Request::get("/healthz/ready")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert!(
            runner.begins_refresh(),
            "the first to begin it, as a first request"
        );
        spawn(&runner, PERIOD, check, (), &first, lifecycle.view());
        (runner, runs)
    }

    #[tokio::test(start_paused = true)]
    async fn the_refresh_runs_each_period_and_stops_when_the_shutdown_has_drained() {
        let lifecycle = Lifecycle::new();
        let (_runner, runs) = refreshed(&lifecycle);

        tokio::time::sleep(Duration::from_millis(3_500)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "one run a second");

        lifecycle
            .drain_on(one_terminate(), Duration::from_secs(2))
            .await;
        let drained = runs.load(Ordering::SeqCst);
        assert_eq!(drained, 5, "runs go on through the drain delay");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), drained, "none once drained");
    }

    #[tokio::test(start_paused = true)]
    async fn the_refresh_stops_with_its_probe() {
        let (runner, runs) = refreshed(&Lifecycle::new());
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut gone = runner.alive();
        drop(runner);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert!(gone.changed().await.is_err(), "the probe is gone");
    }

    #[test]
    fn a_refresh_whose_runtime_shut_down_is_begun_again() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let runner = runtime.block_on(async {
            let (runner, _) = refreshed(&Lifecycle::new());
            tokio::task::yield_now().await;
            runner
        });
        assert!(!runner.begins_refresh(), "under way");
        drop(runtime);
        assert!(runner.begins_refresh(), "its runtime is gone: begun again");
    }
}
