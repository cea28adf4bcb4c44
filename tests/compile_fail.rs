//! What compiles and what does not, with the messages users see: the cases
//! in `compile_fail/pass` compile, those in `compile_fail/fail` do not, each
//! with the errors of its `.stderr` file.
//!
//! The `.stderr` files are those of the stable toolchain; after a deliberate
//! change to a message, regenerate them with `TRYBUILD=overwrite cargo test -p
//! healthz-suite --test compile_fail` and read each diff.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/compile_fail/pass/*.rs");
    cases.compile_fail("tests/compile_fail/fail/*.rs");
}
