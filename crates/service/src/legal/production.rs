//! Production under an approved compulsion: the manifest, then each in-scope item that
//! exists (decided and logged one by one through `Policy::authorize_compelled`,
//! decrypted from storage and encrypted to the order's recipient as it streams), then a
//! summary. Memory stays at one segment and one age chunk per item, whatever its size.

use std::collections::VecDeque;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ring::digest::{digest, Context, SHA256};
use serde_json::json;
use supportgate_audit::Decision;
use supportgate_crypto::KeyClass;
use supportgate_policy::{ContactData, CustomerData, RequestedPurpose};
use supportgate_store::{
    CompulsionRecord, LegalRequestRecord, LegalRequestState, NotificationKind, NotificationRecord,
    StoreError,
};
use supportgate_types::{
    CaseId, CompulsionId, DataClass, FileId, LegalRequestId, NotificationId, OutboxId, PurposeCode,
    RecordingId,
};

use super::requests::{precondition, provider_event};
use super::scope::{ItemKind, LegalScope, ScopedItem};
use super::seal::ItemSealer;
use crate::context::Event;
use crate::recordings::RecordingContent;
use crate::sealing::open;
use crate::transfers::Download;
use crate::{Caller, ServiceError, Services};

/// What a production will release, sent before any item.
#[derive(Clone, Debug)]
pub struct ProductionManifest {
    /// The request.
    pub request: LegalRequestId,
    /// The approved compulsion.
    pub compulsion: CompulsionId,
    /// Its scope.
    pub scope: LegalScope,
    /// In-scope items that exist.
    pub item_count: u64,
    /// The age recipient every item is encrypted to.
    pub recipient_key: String,
}

/// One produced item's header; its encrypted content follows as chunks.
#[derive(Clone, Debug)]
pub struct ProductionItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its id.
    pub id: String,
    /// Its case.
    pub case: CaseId,
    /// Its data class.
    pub data_class: DataClass,
    /// The media type of the plaintext.
    pub media_type: String,
    /// The plaintext's size.
    pub size: u64,
    /// The plaintext's SHA-256.
    pub sha256: Vec<u8>,
}

/// The end of a production.
#[derive(Clone, Debug)]
pub struct ProductionSummary {
    /// Items released.
    pub items_produced: u64,
    /// Ids the scope names that no longer exist.
    pub missing: Vec<String>,
    /// When it completed.
    pub completed_at: DateTime<Utc>,
}

/// One part of a production stream.
#[derive(Debug)]
pub enum ProductionPart {
    /// An item's header.
    Item(ProductionItem),
    /// Encrypted content of the current item.
    Chunk(Bytes),
    /// The end.
    Summary(ProductionSummary),
}

/// Where an item's plaintext comes from.
enum Body {
    Memory(Option<Bytes>),
    File(Box<Download>),
    Recording(Box<RecordingContent>),
}

impl Body {
    async fn next(&mut self) -> Result<Option<Bytes>, ServiceError> {
        match self {
            Body::Memory(data) => Ok(data.take()),
            Body::File(download) => Ok(download.next_chunk().await?.map(|c| c.data)),
            Body::Recording(content) => Ok(content.next_chunk().await?.map(|c| c.data)),
        }
    }
}

struct Current {
    body: Body,
    sealer: Option<ItemSealer>,
}

/// A production in progress; [`Production::next`] yields its parts in order.
pub struct Production {
    services: Services,
    caller: Caller,
    request: LegalRequestRecord,
    compulsion: CompulsionRecord,
    non_disclosed: bool,
    purpose: RequestedPurpose,
    /// What will be released.
    pub manifest: ProductionManifest,
    pending: VecDeque<ScopedItem>,
    missing: Vec<String>,
    current: Option<Current>,
    produced: u64,
    finished: bool,
}

impl std::fmt::Debug for Production {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Production")
            .field("request", &self.request.id)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// Starts a production: checks purpose, approval and notice (each refusal logged),
    /// logs the production, and resolves the scope to the items that exist.
    pub async fn legal_produce(
        &self,
        caller: &Caller,
        request: LegalRequestId,
        purpose: RequestedPurpose,
    ) -> Result<Production, ServiceError> {
        let event = provider_event("legal.produce", request, "COMPELLED_DISCLOSURE");
        let purpose_code = purpose.code();
        let refused = match purpose {
            RequestedPurpose::Named(PurposeCode::LegalCompelled) => None,
            RequestedPurpose::Missing => Some(ServiceError::invalid(
                "PURPOSE_REQUIRED",
                "purpose is required and must be PURPOSE_LEGAL_COMPELLED",
            )),
            RequestedPurpose::Unknown(_) => Some(ServiceError::invalid(
                "PURPOSE_UNKNOWN",
                "the purpose is not one the gateway knows; production requires PURPOSE_LEGAL_COMPELLED",
            )),
            RequestedPurpose::Named(_) => Some(ServiceError::Denied {
                reason: "LEGAL_COMPELLED_REQUIRED",
                message: "production is only possible with the purpose legal_compelled; there is no voluntary disclosure".into(),
            }),
        };
        if let Some(error) = refused {
            let denied = Event {
                decision: Decision::Denied,
                reason: error.reason(),
                ..event
            };
            self.log_for(caller, denied, purpose_code).await?;
            return Err(error);
        }
        let now = self.inner.clock.now();
        let found = self
            .inner
            .main
            .legal_request_get(request)
            .await
            .map_err(ServiceError::from);
        let record = self.audited(caller, event.clone(), found).await?;
        let checked = (|| {
            let compulsion = record
                .compulsion
                .clone()
                .filter(|_| {
                    matches!(
                        record.state,
                        LegalRequestState::Approved | LegalRequestState::Produced
                    )
                })
                .ok_or_else(|| {
                    precondition(
                        "COMPULSION_NOT_APPROVED",
                        "production needs a compulsion recorded by one legal counsel and approved by another",
                    )
                })?;
            let non_disclosed = record.non_disclosed_at(now);
            if !non_disclosed {
                let notice = record.notice.as_ref().ok_or_else(|| {
                    precondition(
                        "CUSTOMER_NOTICE_REQUIRED",
                        "the customer must be notified of the production first (legal notify), unless a non-disclosure obligation is recorded",
                    )
                })?;
                if now < notice.production_not_before {
                    return Err(ServiceError::FailedPrecondition {
                        reason: "NOTICE_PERIOD_RUNNING",
                        message: format!(
                            "the customer was told production happens no earlier than {}",
                            notice.production_not_before.to_rfc3339()
                        ),
                    });
                }
            }
            let tenant = record.tenant.ok_or_else(|| {
                precondition("REQUEST_HAS_NO_TENANT", "the request names no known tenant")
            })?;
            let scope = LegalScope::stored(&compulsion)?;
            Ok((compulsion, non_disclosed, tenant, scope))
        })();
        let (compulsion, non_disclosed, tenant, scope) =
            self.audited(caller, event.clone(), checked).await?;
        let (items, missing) = self.legal_scope_resolve(tenant, &scope).await?;
        self.log_for(caller, event, purpose_code).await?;
        let manifest = ProductionManifest {
            request,
            compulsion: compulsion.id,
            scope,
            item_count: items.len() as u64,
            recipient_key: compulsion.recipient_key.clone(),
        };
        Ok(Production {
            services: self.clone(),
            caller: caller.clone(),
            request: record,
            compulsion,
            non_disclosed,
            purpose,
            manifest,
            pending: items.into(),
            missing,
            current: None,
            produced: 0,
            finished: false,
        })
    }
}

impl Production {
    /// The next part: an item's header, a chunk of its encrypted content, or the
    /// summary; `None` after the summary.
    pub async fn next(&mut self) -> Result<Option<ProductionPart>, ServiceError> {
        loop {
            if let Some(current) = &mut self.current {
                match current.body.next().await? {
                    Some(plaintext) => {
                        let sealer = current.sealer.as_mut().ok_or_else(finished_sealer)?;
                        let ciphertext = sealer.push(&plaintext)?;
                        if !ciphertext.is_empty() {
                            return Ok(Some(ProductionPart::Chunk(ciphertext)));
                        }
                    }
                    None => {
                        let sealer = current.sealer.take().ok_or_else(finished_sealer)?;
                        self.current = None;
                        let rest = sealer.finish()?;
                        if !rest.is_empty() {
                            return Ok(Some(ProductionPart::Chunk(rest)));
                        }
                    }
                }
                continue;
            }
            if let Some(item) = self.pending.pop_front() {
                match self.open(&item).await? {
                    Some((header, body)) => {
                        self.current = Some(Current {
                            body,
                            sealer: Some(ItemSealer::new(&self.compulsion.recipient_key)?),
                        });
                        self.produced += 1;
                        return Ok(Some(ProductionPart::Item(header)));
                    }
                    None => {
                        self.missing.push(item.id);
                        continue;
                    }
                }
            }
            if self.finished {
                return Ok(None);
            }
            self.finished = true;
            return self
                .finish()
                .await
                .map(|s| Some(ProductionPart::Summary(s)));
        }
    }

    async fn finish(&mut self) -> Result<ProductionSummary, ServiceError> {
        let services = &self.services;
        let now = services.inner.clock.now();
        let notification = match (self.non_disclosed, self.request.tenant) {
            (false, Some(_)) => completion_notice(&self.request, &self.compulsion, now),
            _ => None,
        };
        services
            .inner
            .main
            .legal_produced(
                self.request.id,
                now,
                notification.as_ref().map(|n| (n, OutboxId::new())),
            )
            .await?;
        Ok(ProductionSummary {
            items_produced: self.produced,
            missing: std::mem::take(&mut self.missing),
            completed_at: now,
        })
    }

    /// Whether the customer was told (and the notice period passed) or a
    /// non-disclosure obligation binds, now: the policy checks it again for every item.
    fn notice_satisfied(&self) -> bool {
        let now = self.services.inner.clock.now();
        let obliged = self.request.non_disclosed_at(now);
        let told = self
            .request
            .notice
            .as_ref()
            .is_some_and(|notice| now >= notice.production_not_before);
        obliged || told
    }

    /// Decides and opens one item; `None` when it no longer exists.
    async fn open(
        &self,
        item: &ScopedItem,
    ) -> Result<Option<(ProductionItem, Body)>, ServiceError> {
        let services = &self.services;
        let tenant = self.request.tenant.ok_or_else(|| {
            precondition("REQUEST_HAS_NO_TENANT", "the request names no known tenant")
        })?;
        let read = supportgate_policy::CompelledRead {
            principal: &self.caller.principal,
            purpose: self.purpose,
            recorded_by: self.compulsion.recorded_by,
            approved_by: self.compulsion.approved_by,
            notice_satisfied: self.notice_satisfied(),
            tenant,
            case: item.case,
            action: "legal.produce.item",
            resource_id: item.id.clone(),
            request_id: self.caller.request_id,
        };
        let policy = &services.inner.policy;
        let sink = services.audit_sink();
        let main = &services.inner.main;
        let header = |data_class, media_type: &str, size, sha256| ProductionItem {
            kind: item.kind,
            id: item.id.clone(),
            case: item.case,
            data_class,
            media_type: media_type.to_owned(),
            size,
            sha256,
        };
        let json_body = |value: serde_json::Value| -> Result<(ProductionItem, Body), ServiceError> {
            let bytes = serde_json::to_vec_pretty(&value).map_err(ServiceError::internal)?;
            let class = if item.kind == ItemKind::Contact {
                DataClass::Contact
            } else {
                DataClass::Customer
            };
            let head = header(
                class,
                "application/json",
                bytes.len() as u64,
                digest(&SHA256, &bytes).as_ref().to_vec(),
            );
            Ok((head, Body::Memory(Some(Bytes::from(bytes)))))
        };
        let opened = match item.kind {
            ItemKind::Case => {
                let grant = policy
                    .authorize_compelled::<CustomerData>(sink, read)
                    .await?;
                let meta = main.case_meta_get(tenant, item.case).await?;
                let summary = match meta.purged_at {
                    Some(_) => None,
                    None => {
                        let sealed = main.case_summary_get(&grant).await?;
                        Some(
                            open(
                                &services.inner.keys,
                                main,
                                tenant,
                                KeyClass::Customer,
                                &item.case.to_string(),
                                "summary",
                                &sealed,
                            )
                            .await?,
                        )
                    }
                };
                Some(json_body(json!({
                    "case_id": meta.id.to_string(),
                    "tenant_id": meta.tenant.to_string(),
                    "state": meta.state.as_str(),
                    "opened_at": meta.opened_at.to_rfc3339(),
                    "closed_at": meta.closed_at.map(|t| t.to_rfc3339()),
                    "purged_at": meta.purged_at.map(|t| t.to_rfc3339()),
                    "summary": summary,
                }))?)
            }
            ItemKind::Contact => {
                let grant = policy
                    .authorize_compelled::<ContactData>(sink, read)
                    .await?;
                let meta = main.case_meta_get(tenant, item.case).await?;
                match services.contact_open(&grant, meta.contact).await {
                    Ok(contact) => Some(json_body(contact.to_json())?),
                    Err(ServiceError::NotFound { .. }) => None,
                    Err(e) => return Err(e),
                }
            }
            ItemKind::File => {
                let file: FileId = item.id.parse().map_err(ServiceError::internal)?;
                let grant = policy
                    .authorize_compelled::<CustomerData>(sink, read)
                    .await?;
                match main.file_get(&grant, file).await {
                    Ok(record) => {
                        let download = services.file_content(record, 0, 0).await?;
                        let head = header(
                            DataClass::Customer,
                            &download.media_type,
                            download.total_size,
                            download.sha256.clone(),
                        );
                        Some((head, Body::File(Box::new(download))))
                    }
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            ItemKind::Recording => {
                let recording: RecordingId = item.id.parse().map_err(ServiceError::internal)?;
                let grant = policy
                    .authorize_compelled::<CustomerData>(sink, read)
                    .await?;
                match main.recording_get(&grant, recording).await {
                    Ok(record) => {
                        let sha256 = match record.sha256.clone().filter(|h| h.len() == 32) {
                            Some(hash) => hash,
                            None => {
                                // A truncated recording has no stored hash: hash its
                                // readable part first, so the header can carry one.
                                let mut content =
                                    services.recording_content(record.clone(), 0, 0).await?;
                                let mut hasher = Context::new(&SHA256);
                                while let Some(chunk) = content.next_chunk().await? {
                                    hasher.update(&chunk.data);
                                }
                                hasher.finish().as_ref().to_vec()
                            }
                        };
                        let media_type = record.media_type.clone();
                        let content = services.recording_content(record, 0, 0).await?;
                        let head = header(DataClass::Customer, &media_type, content.length, sha256);
                        Some((head, Body::Recording(Box::new(content))))
                    }
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok(opened)
    }
}

/// The notice that a production took place, for the request's tenant.
fn completion_notice(
    request: &LegalRequestRecord,
    compulsion: &CompulsionRecord,
    now: DateTime<Utc>,
) -> Option<NotificationRecord> {
    Some(NotificationRecord {
        id: NotificationId::new(),
        tenant: request.tenant?,
        kind: NotificationKind::ProductionCompleted,
        request: request.id,
        request_reference: request.reference.clone(),
        agency: request.agency.clone(),
        message: format!(
            "Under {} ({}), data about your organisation was produced for request {}.",
            compulsion.order_reference, compulsion.issuing_authority, request.reference
        ),
        created_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
    })
}

impl Services {
    /// Tells the customers of every request produced under a non-disclosure obligation
    /// that has since lapsed that the production took place (DESIGN section 7: notice,
    /// as soon as the law allows). Run with retention, as the gateway's own event.
    pub(crate) async fn legal_notify_lapsed(&self) -> Result<u64, ServiceError> {
        let now = self.inner.clock.now();
        let mut told = 0;
        for request in self.inner.main.legal_lapsed_untold(now).await? {
            let Some(compulsion) = &request.compulsion else {
                continue;
            };
            let Some(notification) = completion_notice(&request, compulsion, now) else {
                continue;
            };
            self.log_system(Event {
                action: "legal.notice.lapsed",
                data_class: DataClass::Metadata,
                tenant: request.tenant,
                resource_id: Some(request.id.to_string()),
                case_id: None,
                decision: Decision::Allowed,
                reason: "NON_DISCLOSURE_LAPSED",
            })
            .await?;
            self.inner
                .main
                .notification_insert(&notification, OutboxId::new())
                .await?;
            told += 1;
        }
        Ok(told)
    }
}

fn finished_sealer() -> ServiceError {
    ServiceError::internal(std::io::Error::other("item encryption already finished"))
}
