//! The contact store: business contact details, sealed field by field, in their own database.
//!
//! Contact data is read only with a `Grant<ContactData>`; the recipients list for
//! communications takes the communications token itself and never returns opted-out
//! contacts (the SQL filters them).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use supportgate_policy::{Access, Communications, ContactData, Grant};
use supportgate_types::{ContactId, TenantId};

use crate::db::{open, Engine};
use crate::rows::{blob, id, int};
use crate::time::{from_micros, to_micros};
use crate::{ContactRecord, ContactSealed, Page, StoreConfig, StoreError};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite/contact");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres/contact");

const CONTACT_COLUMNS: &str = "id, tenant_id, name_sealed, email_sealed, phone_sealed, \
                               company_sealed, job_title_sealed, opted_out, created_at, updated_at";

/// Fields to change in a correction; `None` keeps the stored value.
#[derive(Clone, Debug, Default)]
pub struct ContactPatch {
    /// New sealed name.
    pub name: Option<Vec<u8>>,
    /// New sealed e-mail, with its new lookup hash.
    pub email: Option<(Vec<u8>, Vec<u8>)>,
    /// New sealed phone.
    pub phone: Option<Vec<u8>>,
    /// New sealed company.
    pub company: Option<Vec<u8>>,
    /// New sealed job title.
    pub job_title: Option<Vec<u8>>,
}

/// Handle to the contact database; cheap to clone.
#[derive(Clone, Debug)]
pub struct ContactStore {
    pub(crate) pool: AnyPool,
    engine: Engine,
}

fn contact_row(row: &AnyRow) -> Result<ContactRecord, StoreError> {
    Ok(ContactRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        sealed: ContactSealed {
            name: blob(row, "name_sealed")?,
            email: blob(row, "email_sealed")?,
            phone: blob(row, "phone_sealed")?,
            company: blob(row, "company_sealed")?,
            job_title: blob(row, "job_title_sealed")?,
        },
        opted_out: int(row, "opted_out")? != 0,
        created_at: from_micros(int(row, "created_at")?)?,
        updated_at: from_micros(int(row, "updated_at")?)?,
    })
}

impl ContactStore {
    /// Opens (and migrates) the contact database.
    pub async fn open(config: &StoreConfig) -> Result<ContactStore, StoreError> {
        let opened = open(
            "contact",
            &config.contact_url,
            &config.contact_schema,
            config.max_connections,
            &SQLITE,
            &POSTGRES,
        )
        .await?;
        Ok(ContactStore {
            pool: opened.pool,
            engine: opened.engine,
        })
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Checks the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for the conformance suite's isolation checks only.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }

    /// Finds a contact in a tenant by the keyed hash of its e-mail.
    pub async fn contact_find_by_email_hash(
        &self,
        tenant: TenantId,
        email_hash: &[u8],
    ) -> Result<Option<ContactId>, StoreError> {
        let row = sqlx::query("SELECT id FROM contacts WHERE tenant_id = $1 AND email_hash = $2")
            .bind(tenant.to_string())
            .bind(email_hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        row.as_ref().map(|r| id(r, "id")).transpose()
    }

    /// Stores a new contact; `Conflict` if the tenant already has one with that e-mail.
    pub async fn contact_insert(
        &self,
        contact: &ContactRecord,
        email_hash: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO contacts (id, tenant_id, email_hash, name_sealed, email_sealed, phone_sealed, \
                                   company_sealed, job_title_sealed, opted_out, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(contact.id.to_string())
        .bind(contact.tenant.to_string())
        .bind(email_hash.to_vec())
        .bind(contact.sealed.name.clone())
        .bind(contact.sealed.email.clone())
        .bind(contact.sealed.phone.clone())
        .bind(contact.sealed.company.clone())
        .bind(contact.sealed.job_title.clone())
        .bind(i64::from(contact.opted_out))
        .bind(to_micros(contact.created_at))
        .bind(to_micros(contact.updated_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("contact", e))?;
        Ok(())
    }

    /// Reads a contact in the grant's tenant: contact data, so it takes a grant.
    pub async fn contact_get(
        &self,
        grant: &impl Grant<ContactData>,
        contact: ContactId,
    ) -> Result<ContactRecord, StoreError> {
        let sql =
            format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(grant.scope().tenant().to_string())
            .bind(contact.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "contact" })?;
        contact_row(&row)
    }

    /// Whether a contact opted out of communications (a policy fact, not contact data).
    pub async fn contact_opted_out(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT opted_out FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(contact.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "contact" })?;
        Ok(int(&row, "opted_out")? != 0)
    }

    /// Applies a correction; `Conflict` if the new e-mail belongs to another contact.
    pub async fn contact_update(
        &self,
        tenant: TenantId,
        contact: ContactId,
        patch: ContactPatch,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (email_sealed, email_hash) = patch.email.unzip();
        let done = sqlx::query(
            "UPDATE contacts SET name_sealed = COALESCE($3, name_sealed), \
                 email_sealed = COALESCE($4, email_sealed), email_hash = COALESCE($5, email_hash), \
                 phone_sealed = COALESCE($6, phone_sealed), company_sealed = COALESCE($7, company_sealed), \
                 job_title_sealed = COALESCE($8, job_title_sealed), updated_at = $9 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(contact.to_string())
        .bind(patch.name)
        .bind(email_sealed)
        .bind(email_hash)
        .bind(patch.phone)
        .bind(patch.company)
        .bind(patch.job_title)
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("contact with that e-mail", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "contact" });
        }
        Ok(())
    }

    /// Deletes a contact's row, fields and lookup hash (the data subject's erasure);
    /// idempotent.
    pub async fn contact_delete(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.to_string())
            .bind(contact.to_string())
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Sets or clears the communications opt-out.
    pub async fn contact_set_opt_out(
        &self,
        tenant: TenantId,
        contact: ContactId,
        opt_out: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE contacts SET opted_out = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(contact.to_string())
        .bind(i64::from(opt_out))
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "contact" });
        }
        Ok(())
    }

    /// Contacts that may receive communications: only with a communications token, and
    /// never an opted-out contact.
    pub async fn contact_list_recipients(
        &self,
        access: &Access<Communications, ContactData>,
        page: &Page,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts \
             WHERE tenant_id = $1 AND opted_out = 0 AND id > $2 ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(access.scope().tenant().to_string())
            .bind(page.after.clone().unwrap_or_default())
            .bind(page.limit())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        rows.iter().map(contact_row).collect()
    }
}
