//! `CaseService`: open, read (with a purpose), list, assign, close.

use supportgate_service::{CaseListQuery, CaseMeta, CaseState, ContactInput, NewCaseInput};
use supportgate_types::{
    CaseId, CaseSummary, Company, Email, JobTitle, PersonName, Phone, SubjectId, TenantId,
};
use tonic::{Code, Request, Response, Status};

use super::contacts::contact;
use super::convert::{id, id_opt, next_token, page, purpose, text_error, timestamp};
use super::gate::Edge;
use super::status::{to_status, with_reason};
use crate::proto::{self, case_service_server::CaseService};

/// A case's metadata for the wire.
pub fn case(meta: CaseMeta) -> proto::Case {
    proto::Case {
        case_id: meta.id.to_string(),
        tenant_id: meta.tenant.to_string(),
        state: match meta.state {
            CaseState::Open => proto::CaseState::Open,
            CaseState::Closed => proto::CaseState::Closed,
        } as i32,
        contact_id: meta.contact.to_string(),
        opened_by: meta.opened_by.to_string(),
        opened_at: Some(timestamp(meta.opened_at)),
        closed_at: meta.closed_at.map(timestamp),
        assigned_engineer_ids: meta.engineers.iter().map(ToString::to_string).collect(),
        purged_at: meta.purged_at.map(timestamp),
    }
}

fn new_case(r: &proto::OpenCaseRequest) -> Result<NewCaseInput, Status> {
    let c = r.contact.as_ref().ok_or_else(|| {
        with_reason(
            Code::InvalidArgument,
            "FIELD_REQUIRED",
            "contact is required",
        )
    })?;
    Ok(NewCaseInput {
        summary: CaseSummary::parse(&r.summary).map_err(text_error)?,
        contact: ContactInput {
            name: PersonName::parse(&c.name).map_err(text_error)?,
            email: Email::parse(&c.email).map_err(text_error)?,
            phone: Phone::parse(&c.phone).map_err(text_error)?,
            company: Company::parse(&c.company).map_err(text_error)?,
            job_title: JobTitle::parse(&c.job_title).map_err(text_error)?,
        },
    })
}

fn state_filter(value: i32) -> Result<Option<CaseState>, Status> {
    match proto::CaseState::try_from(value) {
        Ok(proto::CaseState::Unspecified) => Ok(None),
        Ok(proto::CaseState::Open) => Ok(Some(CaseState::Open)),
        Ok(proto::CaseState::Closed) => Ok(Some(CaseState::Closed)),
        _ => Err(with_reason(
            Code::InvalidArgument,
            "INVALID_FIELD",
            format!("state {value} is not a supported case state"),
        )),
    }
}

#[tonic::async_trait]
impl CaseService for Edge {
    async fn open_case(
        &self,
        request: Request<proto::OpenCaseRequest>,
    ) -> Result<Response<proto::Case>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.CaseService/OpenCase")
            .await?;
        let input = new_case(request.get_ref())?;
        let meta = self
            .services
            .case_open(&caller, input)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(case(meta)))
    }

    async fn get_case(
        &self,
        request: Request<proto::GetCaseRequest>,
    ) -> Result<Response<proto::CaseView>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.CaseService/GetCase")
            .await?;
        let r = request.get_ref();
        let case_id = id("case_id", &r.case_id, CaseId::parse)?;
        let view = self
            .services
            .case_get(&caller, case_id, purpose(r.purpose))
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::CaseView {
            case: Some(case(view.meta)),
            summary: view.summary,
            contact: Some(contact(view.contact)),
        }))
    }

    async fn list_cases(
        &self,
        request: Request<proto::ListCasesRequest>,
    ) -> Result<Response<proto::ListCasesResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.CaseService/ListCases")
            .await?;
        let r = request.get_ref();
        let page = page(r.page_size, &r.page_token)?;
        let query = CaseListQuery {
            state: state_filter(r.state)?,
            assigned_to_me: r.assigned_to_me,
            tenant: id_opt("tenant_id", &r.tenant_id, TenantId::parse)?,
        };
        let cases = self
            .services
            .case_list(&caller, query, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(&page, cases.len(), cases.last().map(|c| c.id.to_string()));
        Ok(Response::new(proto::ListCasesResponse {
            cases: cases.into_iter().map(case).collect(),
            next_page_token: next,
        }))
    }

    async fn assign_engineer(
        &self,
        request: Request<proto::AssignEngineerRequest>,
    ) -> Result<Response<proto::Case>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.CaseService/AssignEngineer")
            .await?;
        let r = request.get_ref();
        let case_id = id("case_id", &r.case_id, CaseId::parse)?;
        let engineer = id("engineer_id", &r.engineer_id, SubjectId::parse)?;
        let meta = self
            .services
            .case_assign(&caller, case_id, engineer)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(case(meta)))
    }

    async fn close_case(
        &self,
        request: Request<proto::CloseCaseRequest>,
    ) -> Result<Response<proto::Case>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.CaseService/CloseCase")
            .await?;
        let case_id = id("case_id", &request.get_ref().case_id, CaseId::parse)?;
        let meta = self
            .services
            .case_close(&caller, case_id)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        self.sessions
            .end_case(case_id, supportgate_store::EndReason::CaseClosed);
        Ok(Response::new(case(meta)))
    }
}
