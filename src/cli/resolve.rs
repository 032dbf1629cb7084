//! Turning names into ids for arguments that accept either.
//!
//! A value that parses as a UUID is taken as an id and sent as is (the gateway says
//! NOT_FOUND if it is wrong); anything else is looked up by exact name through the
//! admin list RPCs, which only an admin may call.

use super::args::{looks_like_id, parse_id};
use super::connect::Clients;
use super::error::CliError;
use super::page;
use crate::proto::{ListSubjectsRequest, ListTenantsRequest, Role, Subject, Tenant};

/// The id of the tenant named (or identified) by `value`.
pub async fn tenant_id(clients: &Clients, value: &str) -> Result<String, CliError> {
    if looks_like_id(value) {
        return parse_id(value).map_err(CliError::usage);
    }
    let tenants = all_tenants(clients).await?;
    tenants
        .into_iter()
        .find(|tenant| tenant.name == value)
        .map(|tenant| tenant.tenant_id)
        .ok_or_else(|| CliError::failed(format!("no tenant is named '{value}'")))
}

/// Every tenant, paging through `ListTenants`.
pub async fn all_tenants(clients: &Clients) -> Result<Vec<Tenant>, CliError> {
    let client = clients.admin();
    page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        async move {
            let request = ListTenantsRequest {
                page_size,
                page_token,
            };
            let response = client.list_tenants(request).await?.into_inner();
            Ok((response.tenants, response.next_page_token))
        }
    })
    .await
}

/// Subjects matching every given filter, paging through `ListSubjects`.
pub async fn subjects(
    clients: &Clients,
    tenant_id: String,
    role: Role,
    name: String,
) -> Result<Vec<Subject>, CliError> {
    let client = clients.admin();
    page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListSubjectsRequest {
            tenant_id: tenant_id.clone(),
            role: role.into(),
            name: name.clone(),
            page_size,
            page_token,
        };
        async move {
            let response = client.list_subjects(request).await?.into_inner();
            Ok((response.subjects, response.next_page_token))
        }
    })
    .await
}

/// The id of the one subject named (or identified) by `value`, optionally of one
/// role. `what` names the kind of subject in messages ("support engineer").
///
/// Names are unique only within a tenant, so several subjects may share one: then
/// the caller must pick by id, and the message lists the candidates.
pub async fn subject_id(
    clients: &Clients,
    value: &str,
    role: Role,
    what: &str,
) -> Result<String, CliError> {
    if looks_like_id(value) {
        return parse_id(value).map_err(CliError::usage);
    }
    let found = subjects(clients, String::new(), role, value.to_owned()).await?;
    match found.as_slice() {
        [] => Err(CliError::failed(format!("no {what} is named '{value}'"))),
        [one] => Ok(one.subject_id.clone()),
        many => Err(CliError::usage(ambiguous(value, what, many))),
    }
}

/// The message for a name that matches several subjects.
pub fn ambiguous(value: &str, what: &str, many: &[Subject]) -> String {
    let candidates: Vec<String> = many
        .iter()
        .map(|subject| {
            let tenant = if subject.tenant_id.is_empty() {
                "no tenant"
            } else {
                subject.tenant_id.as_str()
            };
            format!("{} (tenant {tenant})", subject.subject_id)
        })
        .collect();
    format!(
        "{} {what}s are named '{value}'; pass the subject id instead: {}",
        many.len(),
        candidates.join(", ")
    )
}
