//! The local blob store against its contract.

use supportgate_types::TenantId;
use tempfile::TempDir;

use super::{BlobError, BlobKey, BlobStore, LocalBlobStore};

const UPLOAD: &str = "0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f607182";
const FILE: &str = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b";

fn store() -> (TempDir, LocalBlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(&dir.path().join("blobs")).unwrap();
    (dir, store)
}

fn keys() -> (BlobKey, BlobKey) {
    let tenant = TenantId::new();
    (
        BlobKey::upload(tenant, UPLOAD).unwrap(),
        BlobKey::file(tenant, FILE).unwrap(),
    )
}

/// Deterministic bytes that differ per position and per piece, so a misplaced range shows.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn written_and_appended_bytes_read_back_exactly() {
    let (_dir, store) = store();
    let (key, _) = keys();
    assert_eq!(store.len(&key).await.unwrap(), None);
    store.write_at(&key, 0, b"hello ").await.unwrap();
    store.write_at(&key, 6, b"world").await.unwrap();
    assert_eq!(store.len(&key).await.unwrap(), Some(11));
    assert_eq!(&store.read(&key, 0, 11).await.unwrap()[..], b"hello world");
    assert_eq!(&store.read(&key, 3, 5).await.unwrap()[..], b"lo wo");
    assert_eq!(&store.read(&key, 11, 0).await.unwrap()[..], b"");
}

#[tokio::test]
async fn a_write_at_an_earlier_offset_drops_everything_after_it() {
    let (_dir, store) = store();
    let (key, _) = keys();
    store.write_at(&key, 0, b"hello world").await.unwrap();
    store.write_at(&key, 5, b"XY").await.unwrap();
    assert_eq!(store.len(&key).await.unwrap(), Some(7));
    assert_eq!(&store.read(&key, 0, 7).await.unwrap()[..], b"helloXY");
    store.write_at(&key, 0, b"").await.unwrap();
    assert_eq!(store.len(&key).await.unwrap(), Some(0));
}

#[tokio::test]
async fn a_write_past_the_end_is_a_gap_and_changes_nothing() {
    let (_dir, store) = store();
    let (key, _) = keys();
    let err = store.write_at(&key, 1, b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            BlobError::Gap {
                offset: 1,
                len: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store.len(&key).await.unwrap(),
        None,
        "a refused write creates nothing"
    );

    store.write_at(&key, 0, b"abc").await.unwrap();
    let err = store.write_at(&key, 4, b"x").await.unwrap_err();
    assert!(
        matches!(
            err,
            BlobError::Gap {
                offset: 4,
                len: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(&store.read(&key, 0, 3).await.unwrap()[..], b"abc");
}

#[tokio::test]
async fn reads_past_the_end_or_of_absent_blobs_are_refused() {
    let (_dir, store) = store();
    let (key, _) = keys();
    let err = store.read(&key, 0, 1).await.unwrap_err();
    assert!(matches!(err, BlobError::NotFound { .. }), "{err:?}");

    store.write_at(&key, 0, b"abc").await.unwrap();
    for (offset, len) in [(0, 4), (3, 1), (4, 0), (1, u64::MAX), (u64::MAX, 1)] {
        let err = store.read(&key, offset, len).await.unwrap_err();
        assert!(
            matches!(err, BlobError::OutOfRange { size: 3, .. }),
            "{offset}+{len}: {err:?}"
        );
    }
}

#[tokio::test]
async fn truncate_cuts_durably_but_never_grows() {
    let (_dir, store) = store();
    let (key, _) = keys();
    let err = store.truncate(&key, 0).await.unwrap_err();
    assert!(matches!(err, BlobError::NotFound { .. }), "{err:?}");

    store.write_at(&key, 0, b"committed+stale").await.unwrap();
    store.truncate(&key, 9).await.unwrap();
    assert_eq!(store.len(&key).await.unwrap(), Some(9));
    let err = store.truncate(&key, 10).await.unwrap_err();
    assert!(
        matches!(
            err,
            BlobError::Gap {
                offset: 10,
                len: 9,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(&store.read(&key, 0, 9).await.unwrap()[..], b"committed");
}

#[tokio::test]
async fn promote_moves_the_whole_blob_and_refuses_an_existing_target() {
    let (_dir, store) = store();
    let (upload, file) = keys();
    store.write_at(&upload, 0, b"sealed").await.unwrap();
    store.promote(&upload, &file).await.unwrap();
    assert_eq!(store.len(&upload).await.unwrap(), None);
    assert_eq!(&store.read(&file, 0, 6).await.unwrap()[..], b"sealed");

    // A retry after a crash mid-promote finds the work done.
    store.promote(&upload, &file).await.unwrap();

    store.write_at(&upload, 0, b"other").await.unwrap();
    let err = store.promote(&upload, &file).await.unwrap_err();
    assert!(
        matches!(err, BlobError::Exists { ref key } if *key == file),
        "{err:?}"
    );
    assert_eq!(&store.read(&file, 0, 6).await.unwrap()[..], b"sealed");
    assert_eq!(&store.read(&upload, 0, 5).await.unwrap()[..], b"other");

    let (absent, target) = keys();
    let err = store.promote(&absent, &target).await.unwrap_err();
    assert!(
        matches!(err, BlobError::NotFound { ref key } if *key == absent),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_is_idempotent() {
    let (_dir, store) = store();
    let (key, _) = keys();
    store.delete(&key).await.unwrap();
    store.write_at(&key, 0, b"x").await.unwrap();
    store.delete(&key).await.unwrap();
    assert_eq!(store.len(&key).await.unwrap(), None);
    store.delete(&key).await.unwrap();
}

#[test]
fn keys_are_built_only_from_canonical_uuids() {
    let tenant = TenantId::new();
    let key = BlobKey::upload(tenant, UPLOAD).unwrap();
    assert_eq!(key.as_str(), format!("uploads/{tenant}/{UPLOAD}"));
    assert_eq!(key.to_string(), key.as_str());
    assert_eq!(key.tenant(), tenant);
    assert_eq!(
        BlobKey::file(tenant, FILE).unwrap().as_str(),
        format!("files/{tenant}/{FILE}")
    );
    let hostile = [
        "",
        "../x",
        "a/b",
        "..",
        "/etc/passwd",
        "0B6C1F3E-5A1D-4C8E-9F2A-3D4E5F607182",
        "0b6c1f3e5a1d4c8e9f2a3d4e5f607182",
        "{0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f607182}",
        " 0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f607182",
        "0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f60718/",
        "0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f6071821",
        "0b6c1f3e-5a1d-4c8e-9f2a-3d4e5f6071é",
    ];
    for id in hostile {
        let err = BlobKey::upload(tenant, id).unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidKey { what: "upload id" }),
            "{id:?}"
        );
        let err = BlobKey::file(tenant, id).unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidKey { what: "file id" }),
            "{id:?}"
        );
    }
}

#[tokio::test]
async fn a_64_mib_blob_is_written_in_pieces_and_read_back_in_ranges() {
    const PIECE: usize = 1 << 20;
    const PIECES: u64 = 64;
    let (_dir, store) = store();
    let (key, _) = keys();
    for i in 0..PIECES {
        store
            .write_at(&key, i * PIECE as u64, &pattern(i, PIECE))
            .await
            .unwrap();
    }
    assert_eq!(store.len(&key).await.unwrap(), Some(PIECES * PIECE as u64));
    // Whole pieces, then ranges straddling piece boundaries; never the whole blob.
    for i in [0, 1, 31, 63] {
        let got = store
            .read(&key, i * PIECE as u64, PIECE as u64)
            .await
            .unwrap();
        assert!(got[..] == pattern(i, PIECE)[..], "piece {i}");
    }
    for i in [1, 40, 63] {
        let start = i * PIECE as u64 - 100;
        let got = store.read(&key, start, 300).await.unwrap();
        assert_eq!(got.len(), 300);
        assert_eq!(got[..100], pattern(i - 1, PIECE)[PIECE - 100..]);
        assert_eq!(got[100..], pattern(i, PIECE)[..200]);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn directories_are_0700_and_blobs_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a").join("blobs");
    let store = LocalBlobStore::open(&root).unwrap();
    let (upload, file) = keys();
    store.write_at(&upload, 0, b"x").await.unwrap();
    store.promote(&upload, &file).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tenant = upload.tenant().to_string();
    for d in [
        root.clone(),
        root.join("uploads"),
        root.join("uploads").join(&tenant),
        root.join("files"),
        root.join("files").join(&tenant),
    ] {
        assert_eq!(mode(&d), 0o700, "{}", d.display());
    }
    assert_eq!(mode(&root.join(file.as_str())), 0o600);
}

#[test]
fn opening_over_a_file_fails_naming_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs");
    std::fs::write(&path, b"").unwrap();
    let err = LocalBlobStore::open(&path).unwrap_err();
    assert!(
        matches!(err, BlobError::Open { ref dir, .. } if *dir == path),
        "{err:?}"
    );
}

#[tokio::test]
async fn ping_answers_while_the_directory_is_there_and_only_then() {
    let (dir, store) = store();
    store.ping().await.unwrap();
    let blobs = dir.path().join("blobs");
    std::fs::rename(&blobs, dir.path().join("elsewhere")).unwrap();
    assert!(matches!(
        store.ping().await,
        Err(BlobError::Unavailable { .. })
    ));
    std::fs::write(&blobs, b"not a directory").unwrap();
    assert!(matches!(
        store.ping().await,
        Err(BlobError::Unavailable { .. })
    ));
}
