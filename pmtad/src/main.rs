//! The pmtad binary: a thin shell over the library and the CLI module.
mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(&cli::Cli::parse())
}
