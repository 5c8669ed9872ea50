//! pmtactl: the control tool for pmtad.
fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
