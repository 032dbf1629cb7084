//! What the gate records about a request it refuses by role, before any handler parsed it.
//!
//! ## Why
//! A reviewer filtering the log by case must see a `sales_marketing` refusal on that
//! case too, with the purpose that was named and the class of data that was asked for.
//! The gate runs before field validation, so these are hints: a case id that is not a
//! UUID is simply not recorded.

use supportgate_types::{CaseId, DataClass};

use super::convert::purpose;
use crate::proto;

/// The facts a refused request carries, as far as its message says.
pub trait AuditHints {
    /// The case the request is about, if it names one.
    fn case_hint(&self) -> Option<CaseId> {
        None
    }
    /// The purpose value the request named (`0` = none).
    fn purpose_hint(&self) -> i32 {
        0
    }
    /// The class of data the RPC reads or changes.
    fn data_class(&self) -> DataClass {
        DataClass::Metadata
    }
}

impl<T> AuditHints for tonic::Streaming<T> {}

/// The purpose hint as the log records it (missing and unknown purposes record none).
pub fn purpose_code(request: &impl AuditHints) -> Option<supportgate_types::PurposeCode> {
    purpose(request.purpose_hint()).code()
}

macro_rules! hints {
    (class = $class:expr; case = $case:tt; purpose = $purpose:tt; $($t:ident),+ $(,)?) => {$(
        impl AuditHints for proto::$t {
            fn case_hint(&self) -> Option<CaseId> {
                hints!(@case self $case)
            }
            fn purpose_hint(&self) -> i32 {
                hints!(@purpose self $purpose)
            }
            fn data_class(&self) -> DataClass {
                $class
            }
        }
    )+};
    (@case $s:ident yes) => { CaseId::parse(&$s.case_id).ok() };
    (@case $s:ident no) => { None };
    (@purpose $s:ident yes) => { $s.purpose };
    (@purpose $s:ident no) => { 0 };
}

hints!(class = DataClass::Customer; case = yes; purpose = yes; GetCaseRequest);
hints!(class = DataClass::Contact; case = yes; purpose = yes; GetContactRequest);
hints!(class = DataClass::Contact; case = yes; purpose = no;
    CorrectContactRequest, SetCommunicationsOptOutRequest, ExportContactRequest,
    RequestContactDeletionRequest);
hints!(class = DataClass::Contact; case = no; purpose = yes; ListCommunicationRecipientsRequest);
hints!(class = DataClass::Customer; case = no; purpose = yes;
    GetRecordingRequest, DownloadRecordingRequest, ExportRecordingRequest, DownloadFileRequest,
    ProduceRequest);
hints!(class = DataClass::Customer; case = no; purpose = no; OpenCaseRequest);
hints!(class = DataClass::Metadata; case = yes; purpose = no;
    AssignEngineerRequest, CloseCaseRequest, RequestSessionRequest, ListSessionsRequest,
    OpenWorkspaceRequest, ListWorkspacesRequest, ListRecordingsRequest, ListLegalHoldsRequest,
    SetLegalHoldRequest);
hints!(class = DataClass::Metadata; case = yes; purpose = yes; ListEntriesRequest, StreamEntriesRequest);
hints!(class = DataClass::Metadata; case = no; purpose = yes; ListFilesRequest);
hints!(class = DataClass::Metadata; case = no; purpose = no;
    VerifyRequest, ExportRequest, GetPublicKeyRequest,
    CreateTenantRequest, ListTenantsRequest, CreateSubjectRequest, IssueCredentialRequest,
    RevokeCredentialRequest, ListSubjectsRequest, WhoAmIRequest, SetTenantSettingsRequest,
    GetTenantSettingsRequest, RotateKeysRequest, RunRetentionRequest, ListCasesRequest,
    SubmitRequestRequest, ListRequestsRequest, RecordCompulsionRequest, ApproveCompulsionRequest,
    RecordNonDisclosureRequest, RecordCustomerNoticeRequest, ListNotificationsRequest,
    AcknowledgeNotificationRequest, ClearLegalHoldRequest, GrantConsentRequest,
    DeclineConsentRequest, RevokeConsentRequest, GetSessionRequest, BeginUploadRequest,
    GetUploadStatusRequest, CompleteUploadRequest, AbortUploadRequest, DrainOutboxRequest,
    GetRequestRequest);
