//! Writes pmtactl(8) and pmtactl's shell completions into the repository from the clap
//! definitions (`scripts/gen-docs` runs this; a test fails when the committed files drift).

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (path, contents) in pmtactl::doc::generated_files()? {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, contents)?;
    }
    Ok(())
}
