//! `ContactService`: read with a purpose, the customer's corrections and opt-out, and
//! the communications recipients list.

use supportgate_service::{ContactPatchInput, ContactView};
use supportgate_store::DeletionState;
use supportgate_types::{CaseId, Company, Email, JobTitle, PersonName, Phone};
use tonic::{Request, Response, Status};

use super::convert::{id, next_token, page, purpose, text_error, timestamp};
use super::gate::Edge;
use super::status::to_status;
use crate::proto::{self, contact_service_server::ContactService};

/// A contact for the wire.
pub fn contact(v: ContactView) -> proto::Contact {
    proto::Contact {
        contact_id: v.id.to_string(),
        tenant_id: v.tenant.to_string(),
        name: v.name,
        email: v.email,
        phone: v.phone,
        company: v.company,
        job_title: v.job_title,
        communications_opt_out: v.opted_out,
        updated_at: Some(timestamp(v.updated_at)),
    }
}

fn parse_opt<T, E>(
    value: &Option<String>,
    parse: fn(&str) -> Result<T, E>,
) -> Result<Option<T>, E> {
    value.as_deref().map(parse).transpose()
}

fn patch(r: &proto::CorrectContactRequest) -> Result<ContactPatchInput, Status> {
    Ok(ContactPatchInput {
        name: parse_opt(&r.name, PersonName::parse).map_err(text_error)?,
        email: parse_opt(&r.email, Email::parse).map_err(text_error)?,
        phone: parse_opt(&r.phone, Phone::parse).map_err(text_error)?,
        company: parse_opt(&r.company, Company::parse).map_err(text_error)?,
        job_title: parse_opt(&r.job_title, JobTitle::parse).map_err(text_error)?,
    })
}

#[tonic::async_trait]
impl ContactService for Edge {
    async fn get_contact(
        &self,
        request: Request<proto::GetContactRequest>,
    ) -> Result<Response<proto::Contact>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.ContactService/GetContact")
            .await?;
        let r = request.get_ref();
        let case_id = id("case_id", &r.case_id, CaseId::parse)?;
        let view = self
            .services
            .contact_get(&caller, case_id, purpose(r.purpose))
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(contact(view)))
    }

    async fn correct_contact(
        &self,
        request: Request<proto::CorrectContactRequest>,
    ) -> Result<Response<proto::Contact>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.ContactService/CorrectContact")
            .await?;
        let r = request.get_ref();
        let case_id = id("case_id", &r.case_id, CaseId::parse)?;
        let view = self
            .services
            .contact_correct(&caller, case_id, patch(r)?)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(contact(view)))
    }

    async fn set_communications_opt_out(
        &self,
        request: Request<proto::SetCommunicationsOptOutRequest>,
    ) -> Result<Response<proto::Contact>, Status> {
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.ContactService/SetCommunicationsOptOut",
            )
            .await?;
        let r = request.get_ref();
        let case_id = id("case_id", &r.case_id, CaseId::parse)?;
        let view = self
            .services
            .contact_set_opt_out(&caller, case_id, r.opt_out)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(contact(view)))
    }

    async fn list_communication_recipients(
        &self,
        request: Request<proto::ListCommunicationRecipientsRequest>,
    ) -> Result<Response<proto::ListCommunicationRecipientsResponse>, Status> {
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.ContactService/ListCommunicationRecipients",
            )
            .await?;
        let r = request.get_ref();
        let page = page(r.page_size, &r.page_token)?;
        let contacts = self
            .services
            .communication_recipients(&caller, purpose(r.purpose), &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            contacts.len(),
            contacts.last().map(|c| c.id.to_string()),
        );
        Ok(Response::new(proto::ListCommunicationRecipientsResponse {
            contacts: contacts.into_iter().map(contact).collect(),
            next_page_token: next,
        }))
    }

    async fn export_contact(
        &self,
        request: Request<proto::ExportContactRequest>,
    ) -> Result<Response<proto::ExportContactResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.ContactService/ExportContact")
            .await?;
        let case_id = id("case_id", &request.get_ref().case_id, CaseId::parse)?;
        let json = self
            .services
            .contact_export(&caller, case_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::ExportContactResponse { json }))
    }

    async fn request_contact_deletion(
        &self,
        request: Request<proto::RequestContactDeletionRequest>,
    ) -> Result<Response<proto::RequestContactDeletionResponse>, Status> {
        let caller = self
            .caller(
                &request,
                "/supportgate.v1.ContactService/RequestContactDeletion",
            )
            .await?;
        let case_id = id("case_id", &request.get_ref().case_id, CaseId::parse)?;
        let deletion = self
            .services
            .contact_delete_request(&caller, case_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let state = match deletion.state {
            DeletionState::BlockedByLegalHold => proto::ContactDeletionState::BlockedByLegalHold,
            DeletionState::Deleted => proto::ContactDeletionState::Deleted,
        };
        Ok(Response::new(proto::RequestContactDeletionResponse {
            deletion_request_id: deletion.id.to_string(),
            contact_id: deletion.contact.to_string(),
            state: state as i32,
            requested_at: Some(timestamp(deletion.requested_at)),
            deleted_at: deletion.deleted_at.map(timestamp),
        }))
    }
}
