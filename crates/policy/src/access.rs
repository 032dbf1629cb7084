//! Access tokens: proof that a read was allowed and durably logged.

use std::marker::PhantomData;

use supportgate_types::{CaseId, PurposeCode, RequestId, Role, SubjectId, TenantId};

use crate::markers::{sealed, Class, Communications, ContactData, CustomerData, Permits};
use crate::{ImproveSupport, ProvideSupport};

/// What an access token lets its holder touch; storage reads tenant and case from here,
/// never from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    tenant: TenantId,
    case: Option<CaseId>,
    subject: SubjectId,
    role: Role,
    purpose: PurposeCode,
    audit_sequence: u64,
    request_id: RequestId,
}

impl Scope {
    /// Only the policy builds scopes, from a durable decision.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        tenant: TenantId,
        case: Option<CaseId>,
        subject: SubjectId,
        role: Role,
        purpose: PurposeCode,
        audit_sequence: u64,
        request_id: RequestId,
    ) -> Self {
        Self {
            tenant,
            case,
            subject,
            role,
            purpose,
            audit_sequence,
            request_id,
        }
    }

    /// The tenant whose data may be read.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }
    /// The case whose data may be read; `None` for a tenant-wide grant.
    pub fn case(&self) -> Option<CaseId> {
        self.case
    }
    /// Who was allowed.
    pub fn subject(&self) -> SubjectId {
        self.subject
    }
    /// The role they acted in.
    pub fn role(&self) -> Role {
        self.role
    }
    /// The purpose that was allowed.
    pub fn purpose(&self) -> PurposeCode {
        self.purpose
    }
    /// The access-log entry that recorded the decision.
    pub fn audit_sequence(&self) -> u64 {
        self.audit_sequence
    }
    /// The request that was allowed.
    pub fn request_id(&self) -> RequestId {
        self.request_id
    }
}

/// Permission to read data of class `C` for purpose `P` within one case.
///
/// It exists only for cells the chart allows (`P: Permits<C>`), has private fields, and
/// is minted only by [`crate::Policy`] after the decision is durable in the access log.
#[derive(Debug)]
pub struct Access<P: Permits<C>, C: Class> {
    scope: Scope,
    _cell: PhantomData<fn() -> (P, C)>,
}

impl<P: Permits<C>, C: Class> Access<P, C> {
    pub(crate) fn mint(scope: Scope) -> Self {
        Self {
            scope,
            _cell: PhantomData,
        }
    }
}

/// Anything that grants reading class `C`: a token, or one of the per-class unions.
///
/// Sealed: only the types in this module implement it.
pub trait Grant<C: Class>: sealed::Sealed + Send + Sync {
    /// What may be read.
    fn scope(&self) -> &Scope;
}

impl<P: Permits<C>, C: Class> sealed::Sealed for Access<P, C> {}
impl<P: Permits<C>, C: Class> Grant<C> for Access<P, C> {
    fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// A customer-data token for whichever permitted purpose the request named.
#[derive(Debug)]
pub enum CustomerDataAccess {
    /// `provide_support`.
    ProvideSupport(Access<ProvideSupport, CustomerData>),
    /// `improve_support`.
    ImproveSupport(Access<ImproveSupport, CustomerData>),
}

impl sealed::Sealed for CustomerDataAccess {}
impl Grant<CustomerData> for CustomerDataAccess {
    fn scope(&self) -> &Scope {
        match self {
            CustomerDataAccess::ProvideSupport(a) => a.scope(),
            CustomerDataAccess::ImproveSupport(a) => a.scope(),
        }
    }
}

impl CustomerDataAccess {
    pub(crate) fn mint(scope: Scope) -> Option<Self> {
        match scope.purpose {
            PurposeCode::ProvideSupport => Some(Self::ProvideSupport(Access::mint(scope))),
            PurposeCode::ImproveSupport => Some(Self::ImproveSupport(Access::mint(scope))),
            _ => None,
        }
    }
}

/// A contact-data token for whichever permitted purpose the request named.
#[derive(Debug)]
pub enum ContactDataAccess {
    /// `provide_support`.
    ProvideSupport(Access<ProvideSupport, ContactData>),
    /// `improve_support`.
    ImproveSupport(Access<ImproveSupport, ContactData>),
    /// `communications`.
    Communications(Access<Communications, ContactData>),
}

impl sealed::Sealed for ContactDataAccess {}
impl Grant<ContactData> for ContactDataAccess {
    fn scope(&self) -> &Scope {
        match self {
            ContactDataAccess::ProvideSupport(a) => a.scope(),
            ContactDataAccess::ImproveSupport(a) => a.scope(),
            ContactDataAccess::Communications(a) => a.scope(),
        }
    }
}

impl ContactDataAccess {
    pub(crate) fn mint(scope: Scope) -> Option<Self> {
        match scope.purpose {
            PurposeCode::ProvideSupport => Some(Self::ProvideSupport(Access::mint(scope))),
            PurposeCode::ImproveSupport => Some(Self::ImproveSupport(Access::mint(scope))),
            PurposeCode::Communications => Some(Self::Communications(Access::mint(scope))),
            _ => None,
        }
    }
}

/// Which tenants a metadata read covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataScope {
    /// Every tenant (provider-level reviewers and operators).
    AllTenants,
    /// One tenant.
    Tenant(TenantId),
}

/// Permission to read operational metadata (ids, times, states, log entries), never content.
///
/// ## Why
/// Compliance reviewers and admins need to see what happened without being able to
/// open what was said; store functions that return content do not accept this token.
#[derive(Debug)]
pub struct MetadataAccess {
    scope: MetadataScope,
    subject: SubjectId,
    role: Role,
}

impl MetadataAccess {
    pub(crate) fn mint(scope: MetadataScope, subject: SubjectId, role: Role) -> Self {
        Self {
            scope,
            subject,
            role,
        }
    }
    /// The tenants covered.
    pub fn scope(&self) -> MetadataScope {
        self.scope
    }
    /// Who was allowed.
    pub fn subject(&self) -> SubjectId {
        self.subject
    }
    /// The role they acted in.
    pub fn role(&self) -> Role {
        self.role
    }
}
