use std::io;

use healthz::HealthError;

#[healthz::live]
fn liveness() -> Result<(), io::Error> {
    Ok(())
}

#[healthz::ready]
async fn readiness() -> Result<(), HealthError> {
    let port: u16 = "5432".parse()?;
    std::fs::metadata("/")?;
    let _ = port;
    Ok(())
}

fn main() {
    let _: axum::Router = healthz::router();
}
