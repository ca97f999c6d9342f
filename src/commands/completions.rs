//! `crm-meta completions SHELL`: a completion script on stdout.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Exit;

pub fn run(shell: Shell) -> Result<Exit> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "crm-meta",
        &mut std::io::stdout(),
    );
    Ok(Exit::Success)
}
