// A check's settings are on the check itself: `Checks` has no setting that
// would apply to "the last check added".
use std::time::Duration;

fn main() {
    let _ = healthz::Checks::new()
        .check("database", async { true })
        .check("search", async { true })
        .timeout(Duration::from_millis(200))
        .warn_only();
}
