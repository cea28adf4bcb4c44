// An attribute cannot see that it sits in an `impl` block, where the items
// it adds are not allowed: probes are free functions.
struct App;

impl App {
    #[healthz::live]
    fn liveness() {}
}

#[healthz::ready]
fn readiness() {}

fn main() {}
