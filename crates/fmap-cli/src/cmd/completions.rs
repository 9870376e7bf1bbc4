//! `fmap completions`: prints a shell completion script generated from the clap definitions
//! (`clap_complete::generate`); it makes no library calls.

use crate::{Cli, CompletionsArgs, EXIT_OK};
use clap::CommandFactory;
use fmap::Result;

pub fn run(a: CompletionsArgs) -> Result<u8> {
    let mut c = Cli::command();
    clap_complete::generate(a.shell, &mut c, "fmap", &mut std::io::stdout());
    Ok(EXIT_OK)
}
