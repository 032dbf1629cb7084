//! What an order compels: its scope, checked against the store when it is recorded
//! and resolved to the items that exist when it is produced.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use supportgate_store::{CompulsionRecord, RecordingState, StoreError, UploadState};
use supportgate_types::{CaseId, TenantId};

use crate::{ServiceError, Services};

/// The kinds of items an order may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A case's metadata and summary, as JSON.
    Case,
    /// A case's contact, as JSON.
    Contact,
    /// An uploaded file.
    File,
    /// A recording.
    Recording,
}

/// An order's scope: items of `tenant` that match every constraint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalScope {
    /// The tenant; `None` in a request = the legal request's tenant.
    pub tenant: Option<TenantId>,
    /// The cases; empty = every case of the tenant.
    pub cases: Vec<CaseId>,
    /// The kinds; at least one.
    pub kinds: Vec<ItemKind>,
    /// Specific file or recording ids; empty = all of the named kinds. They narrow
    /// files and recordings only: cases and contacts are named by `cases`.
    pub items: Vec<String>,
    /// Only items created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only items created before this time.
    pub until: Option<DateTime<Utc>>,
}

/// One in-scope item that exists, in production order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScopedItem {
    pub kind: ItemKind,
    pub id: String,
    pub case: CaseId,
}

impl LegalScope {
    /// The scope a recorded compulsion carries (stored as JSON this module wrote).
    pub(crate) fn stored(compulsion: &CompulsionRecord) -> Result<LegalScope, ServiceError> {
        serde_json::from_str(&compulsion.scope_json).map_err(|_| {
            ServiceError::internal(StoreError::Corrupt {
                what: "legal scope",
            })
        })
    }

    fn in_window(&self, at: DateTime<Utc>) -> bool {
        self.since.is_none_or(|since| at >= since) && self.until.is_none_or(|until| at < until)
    }

    fn wants(&self, kind: ItemKind) -> bool {
        self.kinds.contains(&kind)
    }

    fn names(&self, id: &str) -> bool {
        self.items.is_empty() || self.items.iter().any(|item| item == id)
    }
}

impl Services {
    /// Checks a scope for the request's tenant: every case and item it names exists in
    /// that tenant, and every item is of a kind the scope names (in one of its cases,
    /// when it names cases). Returns the scope with its tenant filled in.
    pub(crate) async fn legal_scope_check(
        &self,
        request_tenant: TenantId,
        mut scope: LegalScope,
    ) -> Result<LegalScope, ServiceError> {
        match scope.tenant {
            Some(tenant) if tenant != request_tenant => {
                return Err(outside("the scope names another tenant than the request's"))
            }
            _ => scope.tenant = Some(request_tenant),
        }
        if scope.kinds.is_empty() {
            return Err(ServiceError::invalid(
                "FIELD_REQUIRED",
                "scope.item_kinds must name at least one kind of item",
            ));
        }
        if let (Some(since), Some(until)) = (scope.since, scope.until) {
            if since >= until {
                return Err(ServiceError::invalid(
                    "INVALID_FIELD",
                    "scope.since must be before scope.until",
                ));
            }
        }
        scope.kinds.sort();
        scope.kinds.dedup();
        scope.cases.sort();
        scope.cases.dedup();
        scope.items.sort();
        scope.items.dedup();
        let main = &self.inner.main;
        for case in &scope.cases {
            match main.case_owner(*case).await? {
                Some(owner) if owner == request_tenant => {}
                Some(_) => {
                    return Err(outside(format!(
                        "case {case} is not a case of the request's tenant"
                    )))
                }
                None => return Err(missing(format!("case {case} does not exist"))),
            }
        }
        for item in &scope.items {
            let Some((kind, owner, case)) = main.item_owner(item).await? else {
                return Err(missing(format!("no file or recording {item} exists")));
            };
            if owner != request_tenant {
                return Err(outside(format!(
                    "{kind} {item} is not one of the request's tenant"
                )));
            }
            let kind_named = match kind {
                "file" => scope.wants(ItemKind::File),
                _ => scope.wants(ItemKind::Recording),
            };
            if !kind_named {
                return Err(ServiceError::invalid(
                    "SCOPE_KIND_MISMATCH",
                    format!("{item} is a {kind}, a kind the scope does not name"),
                ));
            }
            if !scope.cases.is_empty() && !scope.cases.contains(&case) {
                return Err(ServiceError::invalid(
                    "SCOPE_KIND_MISMATCH",
                    format!("{kind} {item} belongs to case {case}, which the scope does not name"),
                ));
            }
        }
        Ok(scope)
    }

    /// The in-scope items that exist now, in order (case by case: the case, its
    /// contact, its files, its recordings), and the named ids that no longer do.
    pub(crate) async fn legal_scope_resolve(
        &self,
        tenant: TenantId,
        scope: &LegalScope,
    ) -> Result<(Vec<ScopedItem>, Vec<String>), ServiceError> {
        let main = &self.inner.main;
        let cases = if scope.cases.is_empty() {
            main.cases_of_tenant(tenant).await?
        } else {
            scope.cases.clone()
        };
        let mut items = Vec::new();
        for case in cases {
            let meta = main.case_meta_get(tenant, case).await?;
            if scope.wants(ItemKind::Case) && scope.in_window(meta.opened_at) {
                items.push(ScopedItem {
                    kind: ItemKind::Case,
                    id: case.to_string(),
                    case,
                });
            }
            if scope.wants(ItemKind::Contact)
                && self
                    .inner
                    .contacts
                    .contact_opted_out(tenant, meta.contact)
                    .await
                    .is_ok()
            {
                items.push(ScopedItem {
                    kind: ItemKind::Contact,
                    id: meta.contact.to_string(),
                    case,
                });
            }
            if scope.wants(ItemKind::File) {
                for upload in main.uploads_of_case(tenant, case).await? {
                    let id = upload.file.to_string();
                    if upload.state == UploadState::Available
                        && scope.names(&id)
                        && scope.in_window(upload.created_at)
                    {
                        items.push(ScopedItem {
                            kind: ItemKind::File,
                            id,
                            case,
                        });
                    }
                }
            }
            if scope.wants(ItemKind::Recording) {
                for recording in self.recordings_of_case(tenant, case).await? {
                    let id = recording.id.to_string();
                    let readable = matches!(
                        recording.state,
                        RecordingState::Available | RecordingState::Truncated
                    );
                    if readable && scope.names(&id) && scope.in_window(recording.created_at) {
                        items.push(ScopedItem {
                            kind: ItemKind::Recording,
                            id,
                            case,
                        });
                    }
                }
            }
        }
        let missing = scope
            .items
            .iter()
            .filter(|named| !items.iter().any(|item| &item.id == *named))
            .cloned()
            .collect();
        Ok((items, missing))
    }

    async fn recordings_of_case(
        &self,
        tenant: TenantId,
        case: CaseId,
    ) -> Result<Vec<supportgate_store::RecordingRecord>, ServiceError> {
        let mut all = Vec::new();
        let mut page = supportgate_store::Page {
            limit: 1000,
            after: None,
        };
        loop {
            let batch = self
                .inner
                .main
                .recording_list(tenant, case, None, &page)
                .await?;
            let full = batch.len() == 1000;
            page.after = batch.last().map(|r| r.id.to_string());
            all.extend(batch);
            if !full {
                return Ok(all);
            }
        }
    }
}

fn outside(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("SCOPE_OUTSIDE_TENANT", message)
}

fn missing(message: impl Into<String>) -> ServiceError {
    ServiceError::Missing {
        reason: "SCOPE_ITEM_NOT_FOUND",
        message: message.into(),
    }
}
