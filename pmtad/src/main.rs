//! The pmtad binary: a thin shell over the library ([`pmtad::cli`]).
fn main() -> std::process::ExitCode {
    pmtad::cli::main()
}
