use healthz::HealthError;

#[healthz::live]
fn liveness() -> Result<(), HealthError> {
    Ok(())
}

#[healthz::ready]
async fn readiness() -> Result<(), HealthError> {
    Err(HealthError::new("Can't connect to the database"))
}

fn main() {
    let _: axum::Router = healthz::router();
}
