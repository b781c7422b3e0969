//! The `mcp-diag` binary: argument parsing and wiring only.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser as _;

mod args;
mod commands;
mod config;
mod exit;
mod hint;

use exit::ExitStatus;

// Reading a big snapshot allocates millions of objects on every core at once. glibc's
// per-thread arenas then grow a page range at a time, one mprotect call each: 10% of `plan`
// on 150,000 pods. jemalloc does not (BENCHMARKS.md, "allocator").
#[cfg(all(not(target_env = "msvc"), unix))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with status 0; every other argument error is
            // "the tool could not do its job" (1), never 2, which means findings.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                ExitStatus::Error as u8
            } else {
                0
            });
        }
    };
    let status = match commands::run(cli) {
        Ok(status) => status,
        // The reader went away (`| head`): nothing more to say, and no failure.
        Err(error) if is_broken_pipe(&error) => ExitStatus::Success,
        Err(error) => {
            print_error(&error);
            ExitStatus::Error
        }
    };
    ExitCode::from(status as u8)
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Errors go to stderr: what failed, then a hint on what to do (the uv style).
fn print_error(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let label = if color { "\x1b[1;31merror\x1b[0m" } else { "error" };
    let _ = writeln!(stderr, "{label}: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
    if let Some(hint) = error.downcast_ref::<hint::Hinted>().map(|h| h.hint.as_str()) {
        let _ = writeln!(stderr, "\nhint: {hint}");
    }
}
