//! The type-level half of the data-use chart: each file under `compile_fail/` is code
//! that must not compile, with the compiler's complaint recorded beside it.

#[test]
fn prohibited_uses_of_data_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/*.rs");
}
