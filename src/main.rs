//! The `supportgate` binary: the gateway (`serve`) and its command-line client.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use supportgate::cli::{self, ClientCommand, ClientOptions};
use supportgate::config::{LogFormat, ServeArgs};
use tracing_subscriber::EnvFilter;

/// supportgate: a gRPC gateway for enterprise support desks.
#[derive(Debug, Parser)]
#[command(name = "supportgate", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    client: ClientOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (`--dev` for a one-machine setup with nothing to install)
    Serve(ServeArgs),
    /// Local helpers for a --dev installation (no gateway call)
    #[command(subcommand)]
    Dev(cli::dev::DevCommand),
    #[command(flatten)]
    Client(ClientCommand),
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("SUPPORTGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Dev(command) => cli::dev::run(command),
        Command::Client(command) => cli::run(cli.client, command).await,
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let master_key_env = std::env::var("SUPPORTGATE_MASTER_KEY").ok();
    let config = match args.resolve(master_key_env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {}", supportgate::error_chain(&e));
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match supportgate::serve::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %supportgate::error_chain(&e), "supportgate stopped");
            eprintln!("error: {}", supportgate::error_chain(&e));
            ExitCode::FAILURE
        }
    }
}
