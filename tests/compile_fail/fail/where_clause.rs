#[healthz::live]
fn liveness()
where
    u8: Copy,
{
}

#[healthz::ready]
fn readiness() {}

fn main() {
    let _: axum::Router = healthz::router();
}
