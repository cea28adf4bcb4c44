use healthz::{HealthError, ProbeResult};

enum Pool {
    Warm,
    Cold,
}

impl ProbeResult for Pool {
    fn into_probe_result(self) -> Result<(), HealthError> {
        match self {
            Pool::Warm => Ok(()),
            Pool::Cold => Err(HealthError::new("The pool is warming up")),
        }
    }
}

#[healthz::live]
fn liveness() {}

#[healthz::ready]
fn readiness() -> Pool {
    if std::env::args().count() > 100 { Pool::Cold } else { Pool::Warm }
}

fn main() {
    let _: axum::Router = healthz::router();
}
