//! `treeherd token issue`: prints a write token the server on the same database (or with the
//! same secret) accepts.

use clap::{Args, Subcommand};
use std::time::Duration;

use super::DatabaseArgs;
use crate::auth::{self, TokenKeys};
use crate::config;

#[derive(Subcommand)]
pub(super) enum TokenCommand {
    /// Prints a token the server on the same database (or with the same secret) accepts.
    Issue(IssueArgs),
}

/// The flags of `treeherd token issue`.
#[derive(Args)]
pub(super) struct IssueArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Who the token is for (the `sub` claim).
    #[arg(long)]
    subject: String,
    /// write:<repository>, write:* or admin; repeat for several.
    #[arg(long = "scope", required = true, num_args = 1.., value_parser = auth::parse_scope)]
    scopes: Vec<String>,
    /// How long the token is valid: 30d, 12h, 15m, 3600s.
    #[arg(long, default_value = "30d", value_parser = config::token_ttl)]
    ttl: Duration,
    #[arg(
        long,
        env = "TREEHERD_JWT_SECRET",
        hide_env_values = true,
        value_parser = config::not_empty
    )]
    jwt_secret: Option<String>,
}

pub(super) async fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue(args) => issue(args).await,
    }
}

/// Signs with `--jwt-secret`, or else with the secret the database keeps (made now if the
/// database has none yet, as `serve` would).
async fn issue(args: IssueArgs) -> anyhow::Result<()> {
    let secret = match args.jwt_secret {
        Some(secret) => secret.into_bytes(),
        None => auth::signing_secret(None, &args.database.open_migrated().await?).await?,
    };
    let token = TokenKeys::from_secret(&secret).issue(&args.subject, &args.scopes, args.ttl)?;
    println!("{token}");
    Ok(())
}
