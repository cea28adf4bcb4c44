//! The status page of `examples/status.rs` in a real browser: Debian's
//! chromium, driven headless by Playwright (`browser.py`, beside this file).
//!
//! It needs a Python with Playwright (`HEALTHZ_PYTHON`, else `python3`) and
//! `/usr/bin/chromium`; outside CI it is skipped, saying so, without them.
//! `HEALTHZ_SCREENSHOT=docs/ui.png` keeps the screenshot the run takes.

use support::Example;

/// A Python with Playwright, and chromium; or, outside CI, `None`, having
/// said in one line that the test is skipped and how to get them.
fn browser() -> Option<String> {
    const TEST: &str = "the_status_page_follows_the_app_in_a_browser";
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        let missing = "no /usr/bin/chromium; `apt-get install chromium`, as .ci/run does";
        support::skip_unless_ci(TEST, missing);
        return None;
    }
    support::python_with("playwright.sync_api", "playwright", TEST)
}

#[tokio::test]
async fn the_status_page_follows_the_app_in_a_browser() {
    let Some(python) = browser() else {
        return;
    };
    let app = Example::start("status", &[]).await;
    let scratch = tempfile::tempdir().unwrap();
    let screenshot = match std::env::var("HEALTHZ_SCREENSHOT") {
        Ok(path) => std::path::PathBuf::from(path),
        Err(_) => scratch.path().join("ui.png"),
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/status_page/browser.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(app.addr().to_string())
        .arg(&screenshot)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), output)
        .await
        .expect("the browser test ends within 2 min")
        .expect("run Python");
    assert!(
        output.status.success(),
        "the status page failed in the browser:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(screenshot.exists());
}
