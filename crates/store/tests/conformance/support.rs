//! The suite's fixture: fresh stores on one engine, a manual clock, the real policy
//! writing its decisions into the main store's access log, and record builders.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use supportgate_audit::{Decision, Entry, NewEntry, StoredFields};
use supportgate_policy::{
    Access, AccessRequest, AuthorizeError, Communications, ContactData, ContactDataAccess,
    CustomerDataAccess, MetadataAccess, Policy, Principal, RequestedPurpose, ResourceFacts,
};
use supportgate_store::{
    ContactRecord, ContactSealed, ContactStore, EntryFilter, MainStore, NewCase, Page, StoreError,
    SubjectRecord, TenantRecord,
};
use supportgate_testkit::{Backend, ManualClock, TestDatabases};
use supportgate_types::{
    CaseId, ContactId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId,
};

/// Both stores, opened and migrated on fresh databases of one engine.
///
/// The pools come before `dbs` so they are dropped before the databases are removed.
pub struct Stores {
    pub main: MainStore,
    pub contacts: ContactStore,
    pub clock: Arc<ManualClock>,
    pub policy: Policy,
    pub dbs: TestDatabases,
}

impl Stores {
    pub async fn open(backend: Backend) -> Stores {
        let dbs = TestDatabases::create(backend).await;
        let main = MainStore::open(&dbs.config)
            .await
            .expect("open the main store");
        let contacts = ContactStore::open(&dbs.config)
            .await
            .expect("open the contact store");
        let clock = Arc::new(ManualClock::new());
        let policy = Policy::new(clock.clone());
        Stores {
            main,
            contacts,
            clock,
            policy,
            dbs,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        supportgate_types::Clock::now(&*self.clock)
    }

    /// Moves the clock a minute forward and returns the new time.
    pub fn tick(&self) -> DateTime<Utc> {
        self.clock.advance(Duration::minutes(1));
        self.now()
    }

    pub async fn tenant(&self, name: &str) -> TenantRecord {
        let tenant = TenantRecord {
            id: TenantId::new(),
            name: name.into(),
            created_at: self.now(),
        };
        self.main
            .tenant_create(&tenant)
            .await
            .expect("create a tenant");
        tenant
    }

    pub async fn subject(&self, tenant: Option<TenantId>, role: Role, name: &str) -> SubjectRecord {
        let subject = SubjectRecord {
            id: SubjectId::new(),
            tenant,
            role,
            name: name.into(),
            created_at: self.now(),
        };
        self.main
            .subject_create(&subject)
            .await
            .expect("create a subject");
        subject
    }

    /// Inserts an open case opened by `opener` in `tenant`.
    pub async fn case(&self, tenant: TenantId, opener: SubjectId, summary: &[u8]) -> NewCase {
        let case = NewCase {
            id: CaseId::new(),
            tenant,
            contact: ContactId::new(),
            opened_by: opener,
            opened_at: self.now(),
            summary_sealed: summary.to_vec(),
        };
        self.main.case_insert(&case).await.expect("insert a case");
        case
    }

    /// Inserts a contact whose sealed fields are tagged with `tag`; returns it and its hash.
    pub async fn contact(&self, tenant: TenantId, tag: &str) -> (ContactRecord, Vec<u8>) {
        let contact = contact_record(tenant, tag, self.now());
        let hash = email_hash(tag);
        self.contacts
            .contact_insert(&contact, &hash)
            .await
            .expect("insert a contact");
        (contact, hash)
    }

    /// A customer-data grant for `case`, decided by the real policy and logged in `main`.
    pub async fn summary_grant(
        &self,
        caller: &Principal,
        tenant: TenantId,
        case: Option<CaseId>,
        assigned: bool,
    ) -> Result<CustomerDataAccess, AuthorizeError> {
        let request = read_request(caller, "case.summary.get", tenant, case, assigned);
        self.policy
            .authorize_customer_data(&self.main, request)
            .await
    }

    /// A contact-data grant, decided by the real policy and logged in `main`.
    pub async fn contact_grant(
        &self,
        caller: &Principal,
        tenant: TenantId,
        case: Option<CaseId>,
        assigned: bool,
    ) -> Result<ContactDataAccess, AuthorizeError> {
        let request = read_request(caller, "contact.get", tenant, case, assigned);
        self.policy
            .authorize_contact_data(&self.main, request)
            .await
    }

    /// The token `contact_list_recipients` takes: a communications read of the caller's tenant.
    pub async fn communications(&self, caller: &Principal) -> Access<Communications, ContactData> {
        let tenant = caller
            .tenant
            .expect("communications staff belong to a tenant");
        let request = AccessRequest {
            purpose: RequestedPurpose::Named(PurposeCode::Communications),
            ..read_request(caller, "contact.list_recipients", tenant, None, false)
        };
        match self
            .policy
            .authorize_contact_data(&self.main, request)
            .await
        {
            Ok(ContactDataAccess::Communications(access)) => access,
            other => panic!("expected a communications token, got {other:?}"),
        }
    }

    /// A metadata token for `caller`, optionally naming a tenant.
    pub async fn metadata(&self, caller: &Principal, tenant: Option<TenantId>) -> MetadataAccess {
        self.policy
            .authorize_metadata(
                &self.main,
                caller,
                "metadata.read",
                tenant,
                RequestId::new(),
            )
            .await
            .expect("a metadata token")
    }

    /// A provider-level compliance reviewer's token over every tenant (appends one entry).
    pub async fn reviewer(&self) -> MetadataAccess {
        self.metadata(&provider(Role::ComplianceReviewer), None)
            .await
    }

    /// The whole access log, read with a fresh reviewer token (whose own entry is included).
    pub async fn log(&self) -> Vec<Entry> {
        let reviewer = &self.reviewer().await;
        let pages = all_pages(
            1000,
            |page| async move {
                self.main
                    .log_list(reviewer, &EntryFilter::default(), &page)
                    .await
                    .unwrap()
            },
            |e: &Entry| e.sequence.to_string(),
        )
        .await;
        pages.concat()
    }

    /// The access-log entry with sequence number `seq`.
    pub async fn log_entry(&self, seq: u64) -> StoredFields {
        let log = self.log().await;
        let entry = log.into_iter().find(|e| e.sequence == seq);
        entry
            .unwrap_or_else(|| panic!("no access-log entry {seq}"))
            .entry
    }
}

pub fn principal(subject: &SubjectRecord) -> Principal {
    Principal {
        subject: subject.id,
        role: subject.role,
        tenant: subject.tenant,
        credential: None,
    }
}

/// A provider-level caller (no tenant) that need not exist in the subjects table.
pub fn provider(role: Role) -> Principal {
    Principal {
        subject: SubjectId::new(),
        role,
        tenant: None,
        credential: None,
    }
}

fn read_request<'a>(
    caller: &'a Principal,
    action: &'static str,
    tenant: TenantId,
    case: Option<CaseId>,
    assigned: bool,
) -> AccessRequest<'a> {
    AccessRequest {
        principal: caller,
        action,
        purpose: RequestedPurpose::Named(PurposeCode::ProvideSupport),
        resource: Some(ResourceFacts {
            tenant,
            case,
            assigned_to_caller: assigned,
            contact_opted_out: false,
        }),
        resource_id: case.map(|c| c.to_string()),
        request_id: RequestId::new(),
    }
}

pub fn contact_record(tenant: TenantId, tag: &str, at: DateTime<Utc>) -> ContactRecord {
    let sealed = |field: &str| format!("sealed {field} of {tag}").into_bytes();
    ContactRecord {
        id: ContactId::new(),
        tenant,
        sealed: ContactSealed {
            name: sealed("name"),
            email: sealed("email"),
            phone: sealed("phone"),
            company: sealed("company"),
            job_title: sealed("job title"),
        },
        opted_out: false,
        created_at: at,
        updated_at: at,
    }
}

pub fn email_hash(tag: &str) -> Vec<u8> {
    format!("keyed hash of {tag}@example.com").into_bytes()
}

/// An access-log entry with every optional field set.
pub fn new_entry(time: DateTime<Utc>, tenant: Option<TenantId>) -> NewEntry {
    NewEntry {
        time,
        subject: Some(SubjectId::new()),
        role: Some(Role::SupportEngineer),
        tenant,
        action: "case.get",
        data_class: DataClass::Customer,
        resource_id: Some("resource".into()),
        case_id: Some(CaseId::new()),
        purpose: Some(PurposeCode::ProvideSupport),
        decision: Decision::Allowed,
        reason: "ASSIGNED_ENGINEER",
        request_id: RequestId::new(),
    }
}

/// What an appended entry must read back as.
pub fn stored(entry: &NewEntry) -> StoredFields {
    StoredFields {
        time: entry.time,
        subject: entry.subject,
        role: entry.role,
        tenant: entry.tenant,
        action: entry.action.into(),
        data_class: entry.data_class,
        resource_id: entry.resource_id.clone(),
        case_id: entry.case_id,
        purpose: entry.purpose,
        decision: entry.decision,
        reason: entry.reason.into(),
        request_id: entry.request_id,
    }
}

pub fn page(limit: u32, after: Option<String>) -> Page {
    Page { limit, after }
}

/// Follows a keyset listing page by page until it returns an empty page.
///
/// Asserts that no page is longer than its limit and that the listing ends.
pub async fn all_pages<T, F, Fut>(
    limit: u32,
    mut fetch: F,
    cursor: impl Fn(&T) -> String,
) -> Vec<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let rows = fetch(page(limit, after.clone())).await;
        assert!(
            rows.len() <= limit as usize,
            "a page of limit {limit} held {}",
            rows.len()
        );
        let Some(last) = rows.last() else {
            return pages;
        };
        after = Some(cursor(last));
        pages.push(rows);
        assert!(pages.len() <= 1000, "paging did not end");
    }
}

pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("expected StoreError::Conflict, got {other:?}"),
    }
}

pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("expected StoreError::NotFound, got {other:?}"),
    }
}

/// Sorted copy, for comparing listings with what was inserted.
pub fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort();
    items
}
