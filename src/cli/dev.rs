//! `supportgate dev …`: local helpers for a `serve --dev` installation that need the
//! development CA's key on disk, so they run without contacting the gateway.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::args::parse_id;
use super::error::CliError;
use crate::server::dev_pki::{self, DevPki};
use crate::server::peer::subject_uri;

/// Development helpers.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Issue a client certificate for a subject (an agent or a service) from the
    /// development CA; the subject then connects with --cert/--key instead of a token
    ClientCert {
        /// The `serve --dev` data directory holding tls/ca.pem and tls/ca.key
        #[arg(long, default_value = crate::config::DEFAULT_DEV_DATA_DIR)]
        data_dir: PathBuf,
        /// Subject id the certificate identifies (role and tenant come from the gateway)
        #[arg(long, value_parser = parse_id)]
        subject: String,
        /// Common name shown in the certificate
        #[arg(long, default_value = "supportgate-client")]
        name: String,
        /// Writes OUT.pem (certificate) and OUT.key (private key, 0600)
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
    },
}

/// Runs a `dev` command.
pub fn run(command: DevCommand) -> ExitCode {
    match execute(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            err.exit_code()
        }
    }
}

fn execute(command: DevCommand) -> Result<(), CliError> {
    let DevCommand::ClientCert {
        data_dir,
        subject,
        name,
        out,
    } = command;
    let pki = DevPki::in_dir(&data_dir.join("tls"));
    let subject = supportgate_types::SubjectId::parse(&subject)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let (cert, key) = dev_pki::issue_client_certificate(&pki, &name, &subject_uri(subject))
        .map_err(|e| CliError::failed(crate::error_chain(&e)))?;
    let cert_path = out.with_extension("pem");
    let key_path = out.with_extension("key");
    write(&key_path, key.as_bytes(), 0o600)?;
    write(&cert_path, cert.as_bytes(), 0o644)?;
    eprintln!("wrote {} and {}", cert_path.display(), key_path.display());
    Ok(())
}

fn write(path: &Path, contents: &[u8], mode: u32) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| {
        CliError::failed(format!(
            "cannot create {}: {e} (it must not exist yet)",
            path.display()
        ))
    })?;
    file.write_all(contents)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))
}
