//! The `fmap` command (the CLI issue builds it out).
fn main() {
    eprintln!("fmap: the command-line tool is not built yet; see `cargo run --example share` for the demo");
    std::process::exit(2);
}
