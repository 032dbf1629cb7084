//! Blob names, built only from typed ids.

use std::fmt;
use std::path::{Path, PathBuf};

use supportgate_types::TenantId;

use super::BlobError;

/// The name of one blob: `uploads/<tenant>/<upload>`, `files/<tenant>/<file>` or
/// `recordings/<tenant>/<recording>`.
///
/// ## Why only constructors
/// Every component is a canonical lowercase UUID, checked here, so no request string
/// can become a path (`..`, separators, case variants of one id) and the name maps to
/// exactly one object on any backend.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct BlobKey {
    kind: Kind,
    tenant: TenantId,
    object: String,
    name: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Upload,
    File,
    Recording,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Upload => "uploads",
            Kind::File => "files",
            Kind::Recording => "recordings",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Upload => "upload id",
            Kind::File => "file id",
            Kind::Recording => "recording id",
        }
    }
}

/// The paths of one blob under a store's root, outermost directory first.
#[derive(Debug)]
pub(super) struct Location {
    /// `<root>/uploads` or `<root>/files`.
    pub kind_dir: PathBuf,
    /// `<root>/<kind>/<tenant>`.
    pub tenant_dir: PathBuf,
    /// The blob itself.
    pub file: PathBuf,
}

impl BlobKey {
    /// The in-progress content of an upload: `uploads/<tenant>/<upload>`.
    pub fn upload(tenant: TenantId, upload: &str) -> Result<BlobKey, BlobError> {
        BlobKey::new(Kind::Upload, tenant, upload)
    }

    /// The content of a complete, verified file: `files/<tenant>/<file>`.
    pub fn file(tenant: TenantId, file: &str) -> Result<BlobKey, BlobError> {
        BlobKey::new(Kind::File, tenant, file)
    }

    /// The content of a recording (written as the session runs, or imported):
    /// `recordings/<tenant>/<recording>`.
    pub fn recording(tenant: TenantId, recording: &str) -> Result<BlobKey, BlobError> {
        BlobKey::new(Kind::Recording, tenant, recording)
    }

    fn new(kind: Kind, tenant: TenantId, object: &str) -> Result<BlobKey, BlobError> {
        if !is_canonical_uuid(object) {
            return Err(BlobError::InvalidKey { what: kind.what() });
        }
        Ok(BlobKey {
            kind,
            tenant,
            object: object.to_owned(),
            name: format!("{}/{tenant}/{object}", kind.prefix()),
        })
    }

    /// The relative object name, `/`-separated.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The tenant the blob belongs to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub(super) fn location(&self, root: &Path) -> Location {
        let kind_dir = root.join(self.kind.prefix());
        let tenant_dir = kind_dir.join(self.tenant.to_string());
        let file = tenant_dir.join(&self.object);
        Location {
            kind_dir,
            tenant_dir,
            file,
        }
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase hex, nothing else.
fn is_canonical_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}
