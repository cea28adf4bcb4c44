//! Probes returning anyhow, eyre, boxed and string errors, over real HTTP:
//! the body withholds their text, the log has it, and a `HealthError`
//! carried through them keeps its reason.

use std::error::Error;

use anyhow::Context;
use healthz::{Checks, HealthError, Healthz, Lifecycle};
use support::Captured;

async fn with_anyhow() -> anyhow::Result<()> {
    Err(std::io::Error::other("db.internal:5432 refused")).context("anyhow: connecting")
}

async fn with_eyre() -> eyre::Result<()> {
    Err(eyre::eyre!("eyre: token abc123 rejected"))
}

async fn with_box() -> Result<(), Box<dyn Error + Send + Sync>> {
    Err("boxed: user admin locked out".into())
}

async fn with_string() -> Result<(), String> {
    Err("string: secret at 10.0.0.7".to_owned())
}

async fn with_carried_reason() -> anyhow::Result<()> {
    let cause = std::io::Error::other("replica lag 93s on 10.0.0.8");
    Err(HealthError::with_source("The replica is behind", cause).into_error())
        .context("anyhow context")?;
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn their_text_is_logged_not_answered_and_a_carried_reason_is_answered() {
    let (log, _guard) = Captured::install();
    let app = Healthz::new()
        .live(with_anyhow)
        .ready(|| {
            Checks::new()
                .check("anyhow", with_anyhow())
                .check("eyre", with_eyre())
                .check("box", with_box())
                .check("string", with_string())
                .check("replica", with_carried_reason())
        })
        .lifecycle(Lifecycle::new())
        .router();
    let addr = support::serve(app).await;

    let live = support::get(addr, "/healthz/live").await;
    assert_eq!(
        live.text(),
        r#"{"status": 503, "title": "The live check failed"}"#
    );
    let ready = support::get(addr, "/healthz/ready?verbose").await;
    assert_eq!(
        ready.text(),
        "[-]anyhow failed: The anyhow check failed\n\
         [-]eyre failed: The eyre check failed\n\
         [-]box failed: The box check failed\n\
         [-]string failed: The string check failed\n\
         [-]replica failed: The replica is behind\n\
         ready check failed\n"
    );

    let text = log.text();
    for logged in [
        "anyhow: connecting: db.internal:5432 refused",
        "eyre: token abc123 rejected",
        "boxed: user admin locked out",
        "string: secret at 10.0.0.7",
        "The replica is behind: replica lag 93s on 10.0.0.8",
    ] {
        assert!(text.contains(logged), "the log has {logged:?}:\n{text}");
    }
}
