//! Misuse of `#[tourbillon::main]` / `#[tourbillon::test]` is a compile error that names the
//! mistake and points at it: each `tests/ui/*.rs` must fail to compile with the message in its
//! `.stderr`. After changing a message, regenerate with `TRYBUILD=overwrite cargo test -p
//! tourbillon-macros --test compile_fail` and read the new `.stderr` files.

#[test]
fn misuse_is_a_clear_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
