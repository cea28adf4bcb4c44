fn main() {
    let _: axum::Router = healthz::Healthz::new()
        .live(|| "alive")
        .ready(|_body: String| async {})
        .router();
}
