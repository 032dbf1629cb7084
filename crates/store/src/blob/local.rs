//! The local-directory blob store: the single-machine default.

use std::io;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use super::{fsops, BlobError, BlobKey, BlobStore};

/// Blobs as files under one directory: `<dir>/uploads/<tenant>/<upload>` and
/// `<dir>/files/<tenant>/<file>`, directories 0700 and files 0600 on unix.
///
/// ## Why blocking threads
/// Every call runs `std::fs` on `spawn_blocking`: fsync takes milliseconds and must not
/// stall the async workers that carry other streams.
#[derive(Clone, Debug)]
pub struct LocalBlobStore {
    root: Arc<Path>,
}

impl LocalBlobStore {
    /// Opens the store at `dir`, creating it (mode 0700 on unix) when absent.
    ///
    /// Blocks briefly; call at startup. An existing directory keeps its mode.
    pub fn open(dir: &Path) -> Result<LocalBlobStore, BlobError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, fsops::DIR_MODE);
        builder.create(dir).map_err(|source| BlobError::Open {
            dir: dir.to_path_buf(),
            source,
        })?;
        Ok(LocalBlobStore { root: dir.into() })
    }

    /// Runs `op` on a blocking thread with the root and an owned copy of `key`.
    async fn run<T, F>(&self, action: &'static str, key: &BlobKey, op: F) -> Result<T, BlobError>
    where
        T: Send + 'static,
        F: FnOnce(&Path, &BlobKey) -> Result<T, BlobError> + Send + 'static,
    {
        let root = Arc::clone(&self.root);
        let owned = key.clone();
        tokio::task::spawn_blocking(move || op(&root, &owned))
            .await
            .unwrap_or_else(|join| {
                Err(BlobError::Io {
                    action,
                    key: key.clone(),
                    source: io::Error::other(join),
                })
            })
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    async fn write_at(&self, key: &BlobKey, offset: u64, bytes: &[u8]) -> Result<(), BlobError> {
        // Copied because the blocking thread may outlive this borrow; one memcpy per
        // chunk is small next to the fsync that follows.
        let bytes = bytes.to_vec();
        self.run("write", key, move |root, key| {
            fsops::write_at(root, key, offset, &bytes)
        })
        .await
    }

    async fn ping(&self) -> Result<(), BlobError> {
        match tokio::fs::metadata(&*self.root).await {
            Ok(metadata) if metadata.is_dir() => Ok(()),
            Ok(_) => Err(BlobError::Unavailable {
                source: io::Error::other("the blob directory is not a directory"),
            }),
            Err(source) => Err(BlobError::Unavailable { source }),
        }
    }

    async fn len(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        self.run("stat", key, fsops::len).await
    }

    async fn read(&self, key: &BlobKey, offset: u64, len: u64) -> Result<Bytes, BlobError> {
        self.run("read", key, move |root, key| {
            fsops::read(root, key, offset, len)
        })
        .await
        .map(Bytes::from)
    }

    async fn truncate(&self, key: &BlobKey, len: u64) -> Result<(), BlobError> {
        self.run("cut", key, move |root, key| fsops::truncate(root, key, len))
            .await
    }

    async fn promote(&self, from: &BlobKey, to: &BlobKey) -> Result<(), BlobError> {
        let to = to.clone();
        self.run("rename", from, move |root, from| {
            fsops::promote(root, from, &to)
        })
        .await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.run("delete", key, fsops::delete).await
    }
}
