#[healthz::live]
fn liveness() -> String {
    String::from("ok")
}

#[healthz::ready]
async fn readiness() -> Result<(), i32> {
    Ok(())
}

fn main() {
    let _: axum::Router = healthz::router();
}
