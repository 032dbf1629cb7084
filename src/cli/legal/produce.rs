//! `supportgate legal produce REQ --out DIR`: the production stream written as one
//! age file per item, `NNN-<kind>-<item_id>.age`, and `manifest.json` last.
//!
//! ## What the manifest proves, and when it exists
//! Each item carries the SHA-256 and size of its plaintext (from the gateway) and of
//! the encrypted file (computed here while writing), so the recipient can check both
//! sides of the decryption. `manifest.json` is written (through
//! `manifest.json.partial` and a rename) only after the summary arrived and the
//! number of items matched the announced count: a directory without it is an
//! incomplete production.

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use ring::digest::{Context, SHA256};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tonic::Status;

use super::view::{item_kind_name, ScopeView};
use crate::cli::connect::Clients;
use crate::cli::download::{partial_path, write_error};
use crate::cli::error::CliError;
use crate::cli::output::{self, emit, hex, key_values, note, rfc3339};
use crate::cli::view::data_class_name;
use crate::cli::OutputFormat;
use crate::proto::{
    produce_response, ProduceRequest, ProduceResponse, ProducedItem, ProductionManifest,
    ProductionSummary, Purpose,
};

/// The name of the manifest inside the output directory.
pub const MANIFEST: &str = "manifest.json";

/// How an age v1 file starts, binary or armored: checked so that nothing but an
/// encrypted file is ever written under an `.age` name.
const AGE_HEADERS: [&[u8]; 2] = [
    b"age-encryption.org/v1\n",
    b"-----BEGIN AGE ENCRYPTED FILE-----",
];

/// The longest of [`AGE_HEADERS`]: how much of each file is kept to check it.
const AGE_HEADER_LEN: usize = 34;

/// The manifest written last, and printed with `--output json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub request_id: String,
    pub compulsion_id: String,
    pub recipient_public_key: String,
    pub scope: Option<ScopeView>,
    pub items: Vec<ManifestItem>,
    pub missing_item_ids: Vec<String>,
    pub completed_at: Option<String>,
}

/// One produced item: the file it is in and the hashes of both of its forms.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestItem {
    /// The file's name inside the output directory.
    pub file: String,
    pub kind: Option<String>,
    pub item_id: String,
    pub case_id: String,
    pub data_class: Option<String>,
    pub media_type: String,
    /// Size of the plaintext, from the gateway.
    pub size: u64,
    /// SHA-256 of the plaintext (hex), from the gateway.
    pub sha256: Option<String>,
    /// SHA-256 of the encrypted file as written (hex).
    pub encrypted_sha256: Option<String>,
    pub encrypted_size: u64,
}

/// The file name of the `index`th item (1-based): `007-file-<id>.age`. Characters
/// other than letters, digits, `-` and `_` in the id become `_`, so that no value
/// from the gateway can name a path outside the directory.
pub fn item_file_name(index: usize, kind: Option<&str>, item_id: &str) -> String {
    let id: String = item_id
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let id = if id.is_empty() { "item".to_owned() } else { id };
    format!("{index:03}-{}-{id}.age", kind.unwrap_or("item"))
}

/// Refuses a `dir` that exists and is not an empty directory; creates it otherwise
/// (private to its owner, as the manifest names the items).
pub fn prepare_dir(dir: &Path) -> Result<(), CliError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|err| {
            CliError::usage(format!(
                "{} is not a usable directory: {err}",
                dir.display()
            ))
        })?;
        if entries.next().is_some() {
            return Err(CliError::usage(format!(
                "{} exists and is not empty; produce into a new or empty directory",
                dir.display()
            )));
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|err| CliError::failed(format!("cannot create {}: {err}", dir.display())))
}

/// The item being written.
struct Current {
    entry: ManifestItem,
    path: PathBuf,
    file: tokio::fs::File,
    hash: Context,
    head: Vec<u8>,
}

/// The files written so far and the one being written.
struct Writer<'a> {
    dir: &'a Path,
    done: Vec<ManifestItem>,
    current: Option<Current>,
}

impl Writer<'_> {
    /// Finishes the previous item and opens the file of `item`.
    async fn begin(&mut self, item: ProducedItem) -> Result<(), CliError> {
        self.finish_current().await?;
        if item.encryption != "age" {
            return Err(CliError::failed(format!(
                "the gateway sent item {} encrypted as '{}'; only age files are written",
                item.item_id, item.encryption
            )));
        }
        let kind = item_kind_name(item.kind);
        let name = item_file_name(self.done.len() + 1, kind.as_deref(), &item.item_id);
        let path = self.dir.join(&name);
        let file = create_private(&path, true).await?;
        let entry = ManifestItem {
            file: name,
            kind,
            item_id: item.item_id,
            case_id: item.case_id,
            data_class: data_class_name(item.data_class),
            media_type: item.media_type,
            size: item.size,
            sha256: hex(&item.sha256),
            encrypted_sha256: None,
            encrypted_size: 0,
        };
        self.current = Some(Current {
            entry,
            path,
            file,
            hash: Context::new(&SHA256),
            head: Vec::new(),
        });
        Ok(())
    }

    /// Appends a chunk to the current item's file.
    async fn write(&mut self, data: &[u8]) -> Result<(), CliError> {
        let Some(current) = self.current.as_mut() else {
            return Err(CliError::failed(
                "the gateway sent content before naming its item",
            ));
        };
        current
            .file
            .write_all(data)
            .await
            .map_err(write_error(&current.path))?;
        current.hash.update(data);
        current.entry.encrypted_size += data.len() as u64;
        let room = AGE_HEADER_LEN.saturating_sub(current.head.len());
        current
            .head
            .extend_from_slice(&data[..room.min(data.len())]);
        Ok(())
    }

    /// Syncs the current item's file, checks it is an age file and records its hash.
    async fn finish_current(&mut self) -> Result<(), CliError> {
        let Some(mut current) = self.current.take() else {
            return Ok(());
        };
        current
            .file
            .sync_all()
            .await
            .map_err(write_error(&current.path))?;
        if !AGE_HEADERS
            .iter()
            .any(|header| current.head.starts_with(header))
        {
            let _ = tokio::fs::remove_file(&current.path).await;
            return Err(CliError::failed(format!(
                "the content of item {} is not an age file; refusing to keep it as {}",
                current.entry.item_id, current.entry.file
            )));
        }
        current.entry.encrypted_sha256 = hex(current.hash.finish().as_ref());
        self.done.push(current.entry);
        Ok(())
    }
}

/// Runs the production into `dir`; see the module docs.
pub async fn run(
    clients: &Clients,
    out: OutputFormat,
    request_id: String,
    dir: &Path,
) -> Result<(), CliError> {
    let created = !dir.exists();
    prepare_dir(dir)?;
    let request = ProduceRequest {
        request_id,
        purpose: Purpose::LegalCompelled.into(),
    };
    let mut stream = match clients.legal().produce(request).await {
        Ok(response) => response.into_inner(),
        Err(refused) => {
            // Refused before anything was produced: leave no directory behind.
            if created {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(refused.into());
        }
    };
    let manifest = write_production(&mut stream, dir).await?;
    note(&format!(
        "produced {} items into {}",
        manifest.items.len(),
        dir.display()
    ));
    emit(out, &manifest, |manifest| {
        let missing = if manifest.missing_item_ids.is_empty() {
            output::ABSENT.to_owned()
        } else {
            manifest.missing_item_ids.join(", ")
        };
        key_values(&[
            ("request", manifest.request_id.clone()),
            ("compulsion", manifest.compulsion_id.clone()),
            ("items", manifest.items.len().to_string()),
            ("missing", missing),
            ("directory", dir.display().to_string()),
            ("manifest", dir.join(MANIFEST).display().to_string()),
        ])
    })
}

/// Writes a production stream into `dir` (prepared by [`prepare_dir`]): the items,
/// then, once the summary arrived and the counts agree, `manifest.json`.
pub async fn write_production<S>(stream: &mut S, dir: &Path) -> Result<Manifest, CliError>
where
    S: Stream<Item = Result<ProduceResponse, Status>> + Unpin,
{
    let Some(produce_response::Part::Manifest(announced)) = stream
        .next()
        .await
        .transpose()?
        .and_then(|message| message.part)
    else {
        return Err(CliError::failed(
            "the gateway did not start the production with a manifest",
        ));
    };
    let mut writer = Writer {
        dir,
        done: Vec::new(),
        current: None,
    };
    let summary = match receive(stream, &mut writer).await {
        Ok(summary) => summary,
        Err(err) => {
            note(&format!(
                "the production in {} is incomplete ({} items written, no {MANIFEST})",
                dir.display(),
                writer.done.len()
            ));
            return Err(err);
        }
    };
    let manifest = manifest(&announced, &summary, writer.done)?;
    write_manifest(dir, &manifest).await?;
    Ok(manifest)
}

/// Reads items and chunks until the summary; a stream that ends before it is an
/// error.
async fn receive<S>(stream: &mut S, writer: &mut Writer<'_>) -> Result<ProductionSummary, CliError>
where
    S: Stream<Item = Result<ProduceResponse, Status>> + Unpin,
{
    while let Some(message) = stream.next().await.transpose()? {
        match message.part {
            Some(produce_response::Part::Item(item)) => writer.begin(item).await?,
            Some(produce_response::Part::Chunk(chunk)) => writer.write(&chunk.data).await?,
            Some(produce_response::Part::Summary(summary)) => {
                writer.finish_current().await?;
                return Ok(summary);
            }
            Some(produce_response::Part::Manifest(_)) => {
                return Err(CliError::failed(
                    "the gateway sent a second manifest in one production",
                ))
            }
            None => {}
        }
    }
    Err(CliError::failed(
        "the production stream ended before its summary",
    ))
}

/// The manifest of a finished production, after checking that every announced item
/// arrived and the summary counts the same.
pub fn manifest(
    announced: &ProductionManifest,
    summary: &ProductionSummary,
    items: Vec<ManifestItem>,
) -> Result<Manifest, CliError> {
    let written = items.len() as u64;
    if written != announced.item_count || written != summary.items_produced {
        return Err(CliError::failed(format!(
            "the gateway announced {} items and summarised {}, but sent {written}; no {MANIFEST} \
             was written",
            announced.item_count, summary.items_produced
        )));
    }
    Ok(Manifest {
        request_id: announced.request_id.clone(),
        compulsion_id: announced.compulsion_id.clone(),
        recipient_public_key: announced.recipient_public_key.clone(),
        scope: announced.scope.as_ref().map(ScopeView::from),
        items,
        missing_item_ids: summary.missing_item_ids.clone(),
        completed_at: rfc3339(summary.completed_at.as_ref()),
    })
}

/// Writes `manifest.json` through `manifest.json.partial` and a rename.
async fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), CliError> {
    let path = dir.join(MANIFEST);
    let partial = partial_path(&path);
    let text = output::json(manifest)?;
    let mut file = create_private(&partial, false).await?;
    let written = async {
        file.write_all(text.as_bytes()).await?;
        file.sync_all().await
    }
    .await;
    if let Err(err) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(write_error(&partial)(err));
    }
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(write_error(&path))
}

/// Opens `path` for writing, readable by its owner only; `new` refuses an existing
/// file (an item's name is never reused within one production).
async fn create_private(path: &Path, new: bool) -> Result<tokio::fs::File, CliError> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path).await.map_err(write_error(path))
}
