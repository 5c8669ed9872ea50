//! Writes pmtactl(8) to standard output from the clap definitions:
//! `cargo run -p pmtactl --example gen-man > man/pmtactl.8`. A test fails when the
//! committed page differs from what this prints.

fn main() -> std::io::Result<()> {
    let page = pmtactl::doc::man_page()?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), &page)
}
