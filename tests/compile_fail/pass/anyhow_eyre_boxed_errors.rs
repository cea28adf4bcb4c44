use std::error::Error;

use healthz::{Checks, HealthError};

#[healthz::live]
fn liveness() -> Result<(), Box<dyn Error + Send + Sync>> {
    std::fs::metadata("/")?;
    Err(HealthError::new("Shown as written").into_error())?;
    Ok(())
}

async fn database() -> anyhow::Result<()> {
    let _port: u16 = "5432".parse()?;
    Err(HealthError::new("Kept through anyhow").into_error())?;
    Ok(())
}

async fn replica() -> eyre::Result<()> {
    eyre::ensure!(1 + 1 == 2, "arithmetic");
    Ok(())
}

async fn cache() -> Result<(), String> {
    Err(String::from("withheld"))
}

async fn queue() -> Result<(), &'static str> {
    Ok(())
}

#[healthz::ready]
fn readiness() -> Checks {
    Checks::new()
        .check("database", database())
        .check("replica", replica())
        .check("cache", cache())
        .check("queue", queue())
}

async fn with_question_mark() -> Result<(), HealthError> {
    database().await?;
    replica().await?;
    Ok(())
}

fn main() {
    let _: axum::Router = healthz::router();
    let _: axum::Router = healthz::Healthz::new()
        .live(|| async { anyhow::Ok(()) })
        .ready(with_question_mark)
        .router();
}
