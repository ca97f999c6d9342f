//! The `crm-meta` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    crm_meta::app::main()
}
