//! Compile-fail and compile-pass tests for `#[http_handler]`.
//!
//! Re-bless with `TRYBUILD=overwrite cargo test -p ui-tests` (see README.md).
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
