fn main() {
    let _: axum::Router = healthz::Healthz::new().live(|| ()).router();
}
