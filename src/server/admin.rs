//! `AdminService`: tenants, subjects, credentials.

use supportgate_service::{SettingsPatch, SubjectFilter, SubjectRecord, TenantRecord};
use supportgate_types::{CredentialId, DataClass, SubjectId, SubjectName, TenantId, TenantName};
use tonic::{Code, Request, Response, Status};

use super::convert::{
    id, id_opt, next_token, page, role, role_to_proto, text_error, timestamp, timestamp_in, ttl,
};
use super::gate::Edge;
use super::legal::wire;
use super::status::{to_status, with_reason};
use crate::bundle::wire::data_class_to_proto;
use crate::proto::{self, admin_service_server::AdminService};

fn tenant(t: TenantRecord) -> proto::Tenant {
    proto::Tenant {
        tenant_id: t.id.to_string(),
        name: t.name,
        created_at: Some(timestamp(t.created_at)),
    }
}

fn subject(s: SubjectRecord) -> proto::Subject {
    proto::Subject {
        subject_id: s.id.to_string(),
        tenant_id: s.tenant.map(|t| t.to_string()).unwrap_or_default(),
        role: role_to_proto(s.role),
        name: s.name,
        created_at: Some(timestamp(s.created_at)),
    }
}

fn issued(t: supportgate_service::IssuedToken) -> proto::IssuedCredential {
    proto::IssuedCredential {
        credential_id: t.credential_id.to_string(),
        token: t.token,
        expires_at: Some(timestamp(t.expires_at)),
    }
}

#[tonic::async_trait]
impl AdminService for Edge {
    async fn create_tenant(
        &self,
        request: Request<proto::CreateTenantRequest>,
    ) -> Result<Response<proto::Tenant>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/CreateTenant")
            .await?;
        let name = TenantName::parse(&request.get_ref().name).map_err(text_error)?;
        let created = self
            .services
            .tenant_create(&caller, name)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(tenant(created)))
    }

    async fn list_tenants(
        &self,
        request: Request<proto::ListTenantsRequest>,
    ) -> Result<Response<proto::ListTenantsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/ListTenants")
            .await?;
        let page = page(request.get_ref().page_size, &request.get_ref().page_token)?;
        let tenants = self
            .services
            .tenant_list(&caller, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            tenants.len(),
            tenants.last().map(|t| t.id.to_string()),
        );
        Ok(Response::new(proto::ListTenantsResponse {
            tenants: tenants.into_iter().map(tenant).collect(),
            next_page_token: next,
        }))
    }

    async fn create_subject(
        &self,
        request: Request<proto::CreateSubjectRequest>,
    ) -> Result<Response<proto::CreateSubjectResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/CreateSubject")
            .await?;
        let r = request.get_ref();
        let tenant_id = id_opt("tenant_id", &r.tenant_id, TenantId::parse)?;
        let role = role(r.role)?.ok_or_else(|| {
            with_reason(Code::InvalidArgument, "FIELD_REQUIRED", "role is required")
        })?;
        let name = SubjectName::parse(&r.name).map_err(text_error)?;
        let (created, token) = self
            .services
            .subject_create(
                &caller,
                tenant_id,
                role,
                name,
                ttl(r.credential_ttl_seconds),
            )
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::CreateSubjectResponse {
            subject: Some(subject(created)),
            credential: Some(issued(token)),
        }))
    }

    async fn issue_credential(
        &self,
        request: Request<proto::IssueCredentialRequest>,
    ) -> Result<Response<proto::IssuedCredential>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/IssueCredential")
            .await?;
        let r = request.get_ref();
        let subject_id = id("subject_id", &r.subject_id, SubjectId::parse)?;
        let token = self
            .services
            .credential_issue(&caller, subject_id, ttl(r.ttl_seconds))
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(issued(token)))
    }

    async fn revoke_credential(
        &self,
        request: Request<proto::RevokeCredentialRequest>,
    ) -> Result<Response<proto::RevokeCredentialResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/RevokeCredential")
            .await?;
        let credential = id(
            "credential_id",
            &request.get_ref().credential_id,
            CredentialId::parse,
        )?;
        self.services
            .credential_revoke(&caller, credential)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::RevokeCredentialResponse {}))
    }

    async fn list_subjects(
        &self,
        request: Request<proto::ListSubjectsRequest>,
    ) -> Result<Response<proto::ListSubjectsResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/ListSubjects")
            .await?;
        let r = request.get_ref();
        let filter = SubjectFilter {
            tenant: id_opt("tenant_id", &r.tenant_id, TenantId::parse)?,
            role: role(r.role)?,
            name: (!r.name.is_empty()).then(|| r.name.clone()),
        };
        let page = page(r.page_size, &r.page_token)?;
        let subjects = self
            .services
            .subject_list(&caller, filter, &page)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let next = next_token(
            &page,
            subjects.len(),
            subjects.last().map(|s| s.id.to_string()),
        );
        Ok(Response::new(proto::ListSubjectsResponse {
            subjects: subjects.into_iter().map(subject).collect(),
            next_page_token: next,
        }))
    }

    async fn who_am_i(
        &self,
        request: Request<proto::WhoAmIRequest>,
    ) -> Result<Response<proto::WhoAmIResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/WhoAmI")
            .await?;
        let (me, credential) = self
            .services
            .whoami(&caller)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(proto::WhoAmIResponse {
            subject: Some(subject(me)),
            credential_id: credential
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            expires_at: credential.map(|c| timestamp(c.expires_at)),
        }))
    }

    async fn set_tenant_settings(
        &self,
        request: Request<proto::SetTenantSettingsRequest>,
    ) -> Result<Response<proto::TenantSettings>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/SetTenantSettings")
            .await?;
        let r = request.get_ref();
        let tenant = id("tenant_id", &r.tenant_id, TenantId::parse)?;
        let patch = SettingsPatch {
            legal_contact: r.legal_contact.clone().map(wire::legal_contact_in),
            retention_seconds: r.customer_data_retention_seconds,
        };
        let settings = self
            .services
            .tenant_settings_set(&caller, tenant, patch)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::tenant_settings(tenant, settings)))
    }

    async fn get_tenant_settings(
        &self,
        request: Request<proto::GetTenantSettingsRequest>,
    ) -> Result<Response<proto::TenantSettings>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/GetTenantSettings")
            .await?;
        let tenant = id("tenant_id", &request.get_ref().tenant_id, TenantId::parse)?;
        let settings = self
            .services
            .tenant_settings_get(&caller, tenant)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::tenant_settings(tenant, settings)))
    }

    async fn rotate_keys(
        &self,
        request: Request<proto::RotateKeysRequest>,
    ) -> Result<Response<proto::RotateKeysResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/RotateKeys")
            .await?;
        let r = request.get_ref();
        let tenant_id = id("tenant_id", &r.tenant_id, TenantId::parse)?;
        let class = match proto::DataClass::try_from(r.data_class) {
            Ok(proto::DataClass::Unspecified) => None,
            Ok(proto::DataClass::Contact) => Some(DataClass::Contact),
            Ok(proto::DataClass::Customer) => Some(DataClass::Customer),
            Ok(proto::DataClass::Metadata) => Some(DataClass::Metadata),
            Err(_) => {
                return Err(with_reason(
                    Code::InvalidArgument,
                    "INVALID_FIELD",
                    format!("data_class {} is unknown", r.data_class),
                ))
            }
        };
        let rotations = self
            .services
            .keys_rotate(&caller, tenant_id, class)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        let version = |class: DataClass, version: u32, count: u64| proto::KeyVersion {
            key_id: format!("{tenant_id}/{class}/{version}"),
            tenant_id: tenant_id.to_string(),
            data_class: data_class_to_proto(class) as i32,
            version,
            created_at: None,
            wrapped_data_keys: count,
        };
        Ok(Response::new(proto::RotateKeysResponse {
            new_keys: rotations
                .iter()
                .map(|r| version(r.class, r.new_version, r.rewrapped))
                .collect(),
            previous_keys: rotations
                .iter()
                .map(|r| version(r.class, r.previous_version, 0))
                .collect(),
        }))
    }

    async fn run_retention(
        &self,
        request: Request<proto::RunRetentionRequest>,
    ) -> Result<Response<proto::RunRetentionResponse>, Status> {
        let caller = self
            .caller(&request, "/supportgate.v1.AdminService/RunRetention")
            .await?;
        let r = request.get_ref();
        let tenant = id_opt("tenant_id", &r.tenant_id, TenantId::parse)?;
        let as_of = timestamp_in("as_of", r.as_of)?;
        let report = self
            .services
            .retention_run(Some(&caller), tenant, r.dry_run, as_of)
            .await
            .map_err(|e| to_status(e, caller.request_id))?;
        Ok(Response::new(wire::retention_report(report)))
    }
}
