// The builder's and the extractors' traits are sealed: no type outside
// healthz implements them, so `Healthz::router` takes only what the builder
// made.

#[derive(Clone)]
struct MyProbe;
impl<M> healthz::builder::ProbeFn<M> for MyProbe {}

struct MyGiven;
impl healthz::builder::LiveGiven<()> for MyGiven {}
impl healthz::builder::ReadyGiven<()> for MyGiven {}

struct MyState;
struct MyArgument;
impl healthz::probe::ProbeArgument<MyArgument> for MyState {
    async fn extract(
        _: &mut axum::http::request::Parts,
        _: &Self,
    ) -> Result<MyArgument, healthz::HealthError> {
        Ok(MyArgument)
    }
}

fn main() {}
