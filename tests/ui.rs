//! What compiles and what does not, with the messages users see.
//!
//! The `.stderr` files are those of the stable toolchain; after a deliberate
//! change to a message, regenerate them with `TRYBUILD=overwrite cargo test -p
//! healthz-suite --test ui` and read each diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
