struct App;

impl App {
    #[healthz::live]
    fn liveness(&self) {}
}

#[healthz::ready]
fn readiness() {}

fn main() {}
