//! `supportgate admin keys rotate`: a new key version for a tenant, data keys re-wrapped.

use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use super::connect::Clients;
use super::error::CliError;
use super::output::{emit, Table};
use super::{resolve, OutputFormat};
use crate::proto::{DataClass, RotateKeysRequest};

/// `admin keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rotate a tenant's key-encryption keys without downtime: new data goes under a new
    /// version at once, and every file's data key is re-wrapped under it
    Rotate {
        /// The tenant (name or id)
        #[arg(long)]
        tenant: String,
        /// Only this hierarchy (default: both)
        #[arg(long, value_enum, ignore_case = true)]
        class: Option<ClassArg>,
    },
}

/// A key hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassArg {
    /// Customer data (files, recordings, summaries)
    Customer,
    /// Contact data
    Contact,
}

#[derive(Debug, Serialize)]
struct RotationView {
    data_class: String,
    previous_version: u32,
    new_version: u32,
    rewrapped_data_keys: u64,
}

/// Runs a `keys` command.
pub async fn run(
    command: KeysCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    let KeysCommand::Rotate { tenant, class } = command;
    let tenant_id = resolve::tenant_id(clients, &tenant).await?;
    let data_class = match class {
        None => DataClass::Unspecified,
        Some(ClassArg::Customer) => DataClass::Customer,
        Some(ClassArg::Contact) => DataClass::Contact,
    };
    let answer = clients
        .admin()
        .rotate_keys(RotateKeysRequest {
            tenant_id,
            data_class: data_class.into(),
        })
        .await?
        .into_inner();
    let views: Vec<RotationView> = answer
        .new_keys
        .iter()
        .zip(&answer.previous_keys)
        .map(|(new, old)| RotationView {
            data_class: DataClass::try_from(new.data_class)
                .map(|c| {
                    c.as_str_name()
                        .trim_start_matches("DATA_CLASS_")
                        .to_ascii_lowercase()
                })
                .unwrap_or_default(),
            previous_version: old.version,
            new_version: new.version,
            rewrapped_data_keys: new.wrapped_data_keys,
        })
        .collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&["class", "previous", "new", "data keys re-wrapped"]);
        for v in views {
            table.push(vec![
                v.data_class.clone(),
                v.previous_version.to_string(),
                v.new_version.to_string(),
                v.rewrapped_data_keys.to_string(),
            ]);
        }
        table.render()
    })
}
