//! Naming the variable: a clap error about a value that came from a `TREEHERD_*` variable
//! names the variable (clap names only the flag, which the person who set the variable never
//! typed). `main` passes every parse error through here.

use clap::error::{ContextKind, ContextValue};

use super::Cli;

/// `error` with the variable beside the flag, when the refused value came from it.
pub fn name_the_variable(mut error: clap::Error) -> clap::Error {
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let Some(long) = arg
        .strip_prefix("--")
        .and_then(|rest| rest.split([' ', '=']).next())
        .map(str::to_owned)
    else {
        return error;
    };
    let typed = std::env::args_os().any(|given| {
        given.to_str().is_some_and(|given| {
            given == format!("--{long}") || given.starts_with(&format!("--{long}="))
        })
    });
    if typed {
        return error;
    }
    let Some(variable) = env_of(&<Cli as clap::CommandFactory>::command(), &long) else {
        return error;
    };
    if std::env::var_os(&variable).is_some() {
        error.insert(
            ContextKind::InvalidArg,
            ContextValue::String(format!("{variable} (--{long})")),
        );
    }
    error
}

/// The environment variable of the flag `--long` anywhere in `command`'s tree.
fn env_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .or_else(|| command.get_subcommands().find_map(|sub| env_of(sub, long)))
}
