//! A populated gateway: two tenants with one subject of every role, provider-level
//! staff, and cases in every state the rules care about.

use supportgate::proto::{
    self, AssignEngineerRequest, ContactDetails, ListEntriesRequest, OpenCaseRequest, Role,
};
use supportgate_testkit::Backend;

use super::clients::Actor;
use super::server::TestServer;

/// One customer tenant's people and cases.
pub struct TenantWorld {
    pub id: String,
    pub customer: Actor,
    pub agent: Actor,
    /// Assigned to `case` and `opted_out_case`.
    pub engineer: Actor,
    /// Assigned to nothing.
    pub other_engineer: Actor,
    pub quality: Actor,
    pub communications: Actor,
    pub sales: Actor,
    /// The tenant's own compliance reviewer.
    pub reviewer: Actor,
    /// A case whose contact receives communications.
    pub case: String,
    /// A case whose contact opted out of communications.
    pub opted_out_case: String,
}

/// Everything a rule test needs, on a fresh server.
pub struct World {
    pub server: TestServer,
    pub acme: TenantWorld,
    pub globex: TenantWorld,
    pub admin: Actor,
    /// Provider-wide compliance reviewer.
    pub reviewer: Actor,
    pub counsel: Actor,
    pub agency: Actor,
}

/// Contact details for tests; `email` distinguishes contacts within a tenant.
pub fn contact(name: &str, email: &str) -> ContactDetails {
    ContactDetails {
        name: name.into(),
        email: email.into(),
        phone: "+1 555 0100".into(),
        company: "Acme Corp".into(),
        job_title: "IT lead".into(),
    }
}

impl World {
    pub async fn build(backend: Backend) -> World {
        Self::build_on(TestServer::start(backend).await).await
    }

    /// The same people and cases on a server started with particular settings.
    pub async fn build_on(server: TestServer) -> World {
        let acme = tenant(&server, "acme").await;
        let globex = tenant(&server, "globex").await;
        let admin = server.admin_actor().clone();
        let reviewer = server
            .create_subject(None, Role::ComplianceReviewer, "rex")
            .await;
        let counsel = server
            .create_subject(None, Role::LegalCounsel, "lena")
            .await;
        let agency = server
            .create_subject(None, Role::LawEnforcement, "agency")
            .await;
        World {
            server,
            acme,
            globex,
            admin,
            reviewer,
            counsel,
            agency,
        }
    }

    /// Every access-log entry matching `filter`, read by the provider-wide reviewer.
    pub async fn log(&self, filter: ListEntriesRequest) -> Vec<proto::AccessLogEntry> {
        self.server
            .as_actor(&self.reviewer)
            .await
            .log_entries(filter)
            .await
    }

    /// The last entry about `case` made by `actor`.
    pub async fn last_entry(&self, actor: &Actor, case: &str) -> proto::AccessLogEntry {
        let filter = ListEntriesRequest {
            subject_id: actor.subject_id.clone(),
            case_id: case.into(),
            ..Default::default()
        };
        self.log(filter)
            .await
            .pop()
            .unwrap_or_else(|| panic!("no log entry by {} about {case}", actor.name))
    }
}

/// Opens a case as `customer` and assigns `engineer` to it.
pub async fn open_case(
    server: &TestServer,
    customer: &Actor,
    engineer: Option<&Actor>,
    summary: &str,
    email: &str,
) -> String {
    let request = OpenCaseRequest {
        summary: summary.into(),
        contact: Some(contact("Carol Smith", email)),
    };
    let case = server
        .as_actor(customer)
        .await
        .cases()
        .open_case(request)
        .await
        .expect("open case")
        .into_inner();
    if let Some(engineer) = engineer {
        let assign = AssignEngineerRequest {
            case_id: case.case_id.clone(),
            engineer_id: engineer.subject_id.clone(),
        };
        server
            .admin()
            .await
            .cases()
            .assign_engineer(assign)
            .await
            .expect("assign engineer");
    }
    case.case_id
}

async fn tenant(server: &TestServer, name: &str) -> TenantWorld {
    let id = server.create_tenant(name).await;
    let t = Some(id.as_str());
    let customer = server
        .create_subject(t, Role::Customer, &format!("{name}-customer"))
        .await;
    let engineer = server
        .create_subject(t, Role::SupportEngineer, &format!("{name}-engineer"))
        .await;
    let case = open_case(
        server,
        &customer,
        Some(&engineer),
        &format!("{name}: VPN drops every hour"),
        &format!("carol@{name}.example"),
    )
    .await;
    let opted_out_case = open_case(
        server,
        &customer,
        Some(&engineer),
        &format!("{name}: printer on fire"),
        &format!("otto@{name}.example"),
    )
    .await;
    let opt_out = proto::SetCommunicationsOptOutRequest {
        case_id: opted_out_case.clone(),
        opt_out: true,
    };
    server
        .as_actor(&customer)
        .await
        .contacts()
        .set_communications_opt_out(opt_out)
        .await
        .expect("opt out");
    TenantWorld {
        agent: server
            .create_subject(t, Role::CustomerAgent, &format!("{name}-agent"))
            .await,
        other_engineer: server
            .create_subject(t, Role::SupportEngineer, &format!("{name}-engineer-2"))
            .await,
        quality: server
            .create_subject(t, Role::SupportQuality, &format!("{name}-quality"))
            .await,
        communications: server
            .create_subject(t, Role::Communications, &format!("{name}-comms"))
            .await,
        sales: server
            .create_subject(t, Role::SalesMarketing, &format!("{name}-sales"))
            .await,
        reviewer: server
            .create_subject(t, Role::ComplianceReviewer, &format!("{name}-reviewer"))
            .await,
        id,
        customer,
        engineer,
        case,
        opted_out_case,
    }
}
