//! The access log for reviewers: filtered listing within their tenant scope.

use supportgate_audit::Entry;
use supportgate_store::{EntryFilter, Page};

use crate::{Caller, ServiceError, Services};

impl Services {
    /// Lists entries; a tenant-bound reviewer sees only their tenant's.
    pub async fn log_list(
        &self,
        caller: &Caller,
        filter: EntryFilter,
        page: &Page,
    ) -> Result<Vec<Entry>, ServiceError> {
        let access = self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                "log.list",
                filter.tenant,
                caller.request_id,
            )
            .await?;
        Ok(self.inner.main.log_list(&access, &filter, page).await?)
    }
}
