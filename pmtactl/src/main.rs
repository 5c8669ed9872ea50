//! pmtactl: the control tool for pmtad (all the work is in the library).
fn main() -> std::process::ExitCode {
    pmtactl::main()
}
