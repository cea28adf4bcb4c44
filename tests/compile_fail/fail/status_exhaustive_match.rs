// More statuses may come: a match on `Status` needs a `_` arm.
use healthz::Status;

fn word(status: Status) -> &'static str {
    match status {
        Status::Pass => "up",
        Status::Warn => "degraded",
        Status::Fail => "down",
    }
}

fn main() {
    println!("{}", word(Status::Pass));
}
