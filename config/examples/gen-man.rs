//! Prints man/pmta.conf.5 from the directive table:
//! `cargo run -p pmta-config --example gen-man > man/pmta.conf.5`
fn main() {
    print!("{}", config::man::render());
}
