//! Which roles may call which RPC: the first gate every request passes.
//!
//! ## Why a table
//! One place lists every RPC; a test fails when an RPC in the descriptor set is missing
//! here or from the authorization tests. An RPC not in the table is refused (fail closed).
//! Finer rules (purpose, tenant, assignment, opt-out) are the policy's, after this gate.

use supportgate_types::Role;
use Role::*;

const CONTENT_READERS: &[Role] = &[Customer, SupportEngineer, SupportQuality, Communications];
const CASE_READERS: &[Role] = &[Customer, SupportEngineer, SupportQuality];
const CASE_LISTERS: &[Role] = &[
    Customer,
    SupportEngineer,
    SupportQuality,
    ComplianceReviewer,
    Admin,
];
const LEGAL: &[Role] = &[LegalCounsel];
/// Every role but `sales_marketing`, which DESIGN section 1 denies every call.
const EVERYONE_BUT_SALES: &[Role] = &[
    Customer,
    CustomerAgent,
    SupportEngineer,
    SupportQuality,
    Communications,
    ComplianceReviewer,
    LegalCounsel,
    LawEnforcement,
    Admin,
];

/// One RPC: its path, the action name the access log records, and who may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcRule {
    /// The full gRPC path, e.g. `/supportgate.v1.CaseService/GetCase`.
    pub path: &'static str,
    /// The stable action name in the access log, e.g. `case.get`.
    pub action: &'static str,
    /// The roles allowed past the gate.
    pub roles: &'static [Role],
}

const fn rpc(path: &'static str, action: &'static str, roles: &'static [Role]) -> RpcRule {
    RpcRule {
        path,
        action,
        roles,
    }
}

/// Every RPC of `supportgate.v1`.
pub const RPC_RULES: &[RpcRule] = &[
    rpc(
        "/supportgate.v1.AdminService/CreateTenant",
        "admin.tenant.create",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/ListTenants",
        "admin.tenant.list",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/CreateSubject",
        "admin.subject.create",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/IssueCredential",
        "admin.credential.issue",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/RevokeCredential",
        "admin.credential.revoke",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/ListSubjects",
        "admin.subject.list",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/WhoAmI",
        "admin.whoami",
        EVERYONE_BUT_SALES,
    ),
    rpc(
        "/supportgate.v1.AdminService/SetTenantSettings",
        "admin.tenant_settings.set",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/GetTenantSettings",
        "admin.tenant_settings.get",
        &[Admin, LegalCounsel],
    ),
    rpc(
        "/supportgate.v1.AdminService/RotateKeys",
        "admin.keys.rotate",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.AdminService/RunRetention",
        "admin.retention.run",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.CaseService/OpenCase",
        "case.open",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.CaseService/GetCase",
        "case.get",
        CONTENT_READERS,
    ),
    rpc(
        "/supportgate.v1.CaseService/ListCases",
        "case.list",
        CASE_LISTERS,
    ),
    rpc(
        "/supportgate.v1.CaseService/AssignEngineer",
        "case.assign",
        &[Admin],
    ),
    rpc(
        "/supportgate.v1.CaseService/CloseCase",
        "case.close",
        &[Customer, SupportEngineer, Admin],
    ),
    rpc(
        "/supportgate.v1.ContactService/GetContact",
        "contact.get",
        CONTENT_READERS,
    ),
    rpc(
        "/supportgate.v1.ContactService/CorrectContact",
        "contact.correct",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.ContactService/SetCommunicationsOptOut",
        "contact.opt_out",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.ContactService/ListCommunicationRecipients",
        "contact.recipients",
        &[Communications],
    ),
    rpc(
        "/supportgate.v1.ContactService/ExportContact",
        "contact.export",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.ContactService/RequestContactDeletion",
        "contact.delete",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.TransferService/OpenWorkspace",
        "transfer.workspace.open",
        &[SupportEngineer],
    ),
    rpc(
        "/supportgate.v1.TransferService/ListWorkspaces",
        "transfer.workspace.list",
        &[
            Customer,
            SupportEngineer,
            SupportQuality,
            ComplianceReviewer,
        ],
    ),
    rpc(
        "/supportgate.v1.TransferService/BeginUpload",
        "transfer.upload.begin",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.TransferService/UploadChunks",
        "transfer.upload.chunks",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.TransferService/GetUploadStatus",
        "transfer.upload.status",
        &[Customer, SupportEngineer],
    ),
    rpc(
        "/supportgate.v1.TransferService/CompleteUpload",
        "transfer.upload.complete",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.TransferService/AbortUpload",
        "transfer.upload.abort",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.TransferService/ListFiles",
        "transfer.file.list",
        &[
            Customer,
            SupportEngineer,
            SupportQuality,
            ComplianceReviewer,
        ],
    ),
    rpc(
        "/supportgate.v1.TransferService/DownloadFile",
        "transfer.download",
        CASE_READERS,
    ),
    rpc(
        "/supportgate.v1.SessionService/RequestSession",
        "session.request",
        &[SupportEngineer],
    ),
    rpc(
        "/supportgate.v1.SessionService/GrantConsent",
        "session.consent.grant",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.SessionService/DeclineConsent",
        "session.consent.decline",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.SessionService/RevokeConsent",
        "session.consent.revoke",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.SessionService/GetSession",
        "session.get",
        &[
            Customer,
            CustomerAgent,
            SupportEngineer,
            SupportQuality,
            ComplianceReviewer,
        ],
    ),
    rpc(
        "/supportgate.v1.SessionService/ListSessions",
        "session.list",
        &[
            Customer,
            SupportEngineer,
            SupportQuality,
            ComplianceReviewer,
        ],
    ),
    rpc(
        "/supportgate.v1.SessionService/ConnectSession",
        "session.connect",
        &[CustomerAgent, SupportEngineer, SupportQuality],
    ),
    rpc(
        "/supportgate.v1.RecordingService/ListRecordings",
        "recording.list",
        &[
            Customer,
            SupportEngineer,
            SupportQuality,
            ComplianceReviewer,
        ],
    ),
    rpc(
        "/supportgate.v1.RecordingService/GetRecording",
        "recording.get",
        CASE_READERS,
    ),
    rpc(
        "/supportgate.v1.RecordingService/DownloadRecording",
        "recording.download",
        CASE_READERS,
    ),
    rpc(
        "/supportgate.v1.RecordingService/ExportRecording",
        "recording.export",
        CASE_READERS,
    ),
    rpc(
        "/supportgate.v1.RecordingService/ImportRecording",
        "recording.import",
        &[SupportEngineer],
    ),
    rpc(
        "/supportgate.v1.AccessLogService/ListEntries",
        "log.list",
        &[ComplianceReviewer, Customer],
    ),
    rpc(
        "/supportgate.v1.AccessLogService/StreamEntries",
        "log.stream",
        &[ComplianceReviewer],
    ),
    rpc(
        "/supportgate.v1.AccessLogService/Verify",
        "log.verify",
        &[ComplianceReviewer],
    ),
    rpc(
        "/supportgate.v1.AccessLogService/Export",
        "log.export",
        &[ComplianceReviewer],
    ),
    rpc(
        "/supportgate.v1.AccessLogService/GetPublicKey",
        "log.public_key",
        EVERYONE_BUT_SALES,
    ),
    rpc(
        "/supportgate.v1.LegalService/SubmitRequest",
        "legal.request.submit",
        &[LawEnforcement, LegalCounsel],
    ),
    rpc(
        "/supportgate.v1.LegalService/ListRequests",
        "legal.request.list",
        &[LegalCounsel, LawEnforcement, Customer, ComplianceReviewer],
    ),
    rpc(
        "/supportgate.v1.LegalService/GetRequest",
        "legal.request.get",
        &[LegalCounsel, LawEnforcement, Customer, ComplianceReviewer],
    ),
    rpc(
        "/supportgate.v1.LegalService/RecordCompulsion",
        "legal.compulsion.record",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/ApproveCompulsion",
        "legal.compulsion.approve",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/RecordNonDisclosure",
        "legal.non_disclosure.record",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/RecordCustomerNotice",
        "legal.notice.record",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/Produce",
        "legal.produce",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/ListNotifications",
        "legal.notification.list",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.LegalService/AcknowledgeNotification",
        "legal.notification.acknowledge",
        &[Customer],
    ),
    rpc(
        "/supportgate.v1.LegalService/SetLegalHold",
        "legal.hold.set",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/ClearLegalHold",
        "legal.hold.clear",
        LEGAL,
    ),
    rpc(
        "/supportgate.v1.LegalService/ListLegalHolds",
        "legal.hold.list",
        &[LegalCounsel, Admin],
    ),
    rpc(
        "/supportgate.v1.LegalService/DrainOutbox",
        "legal.outbox.drain",
        &[Admin],
    ),
];

/// The rule for `path`; `None` for an RPC the table does not know (refused).
pub fn rule(path: &str) -> Option<&'static RpcRule> {
    RPC_RULES.iter().find(|r| r.path == path)
}
