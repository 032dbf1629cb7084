//! `supportgate session …`: request a remote session on a case (engineers), consent
//! to it or decline it, revoke the consent (customers), show and list sessions.
//!
//! The live part of a session is `supportgate agent` (the customer's machine) and
//! `supportgate terminal` (the engineer); both use [`live`].
//!
//! ## Consent and the recording
//! Every session is recorded by the gateway. Before granting, `session consent` says
//! so on stderr and, when standard input is a terminal, asks for a yes (skipped with
//! `--yes`); the grant carries `recording_acknowledged = true`, which the gateway
//! requires. Without a terminal nobody can be asked, and the notice on stderr is what
//! the customer is shown.

pub mod expiry;
pub mod live;
pub mod scope;

#[cfg(test)]
mod tests;

use std::io::{BufRead, IsTerminal, Write};

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use supportgate_types::{Clock, SystemClock};

use self::expiry::{parse_expiry, Expiry};
use self::scope::ScopeArg;
use super::args::parse_id;
use super::connect::Clients;
use super::error::CliError;
use super::output::{cell, emit, enum_name, key_values, note, present, rfc3339, Table};
use super::{page, OutputFormat};
use crate::proto::{
    DeclineConsentRequest, GetSessionRequest, GrantConsentRequest, ListSessionsRequest,
    RequestSessionRequest, RevokeConsentRequest, Session, SessionState,
};

/// Remote-access sessions.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Request a session on a case (an assigned engineer); prints the session id
    Request {
        /// Case id
        #[arg(value_parser = parse_id)]
        case: String,
        /// Capabilities wanted, comma-separated: view, control, file_transfer
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            required = true,
            ignore_case = true
        )]
        capabilities: Vec<ScopeArg>,
    },
    /// Grant (--grant SCOPES --expires WHEN) or decline (--decline) a pending session (customers)
    Consent(ConsentArgs),
    /// Withdraw consent: a live session ends at once (customers)
    Revoke {
        /// Session id
        #[arg(value_parser = parse_id)]
        session: String,
    },
    /// Show a session: state, consent, who requested it, its recording
    Show {
        /// Session id
        #[arg(value_parser = parse_id)]
        session: String,
    },
    /// List the sessions of a case
    List {
        /// Case id
        #[arg(long, value_parser = parse_id)]
        case: String,
        /// Only sessions in this state
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<SessionStateArg>,
    },
}

/// Arguments of `session consent`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// Session id
    #[arg(value_parser = parse_id)]
    pub session: String,
    /// Scopes to grant, comma-separated: view, control, file_transfer
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        ignore_case = true,
        required_unless_present = "decline",
        conflicts_with = "decline",
        requires = "expires"
    )]
    pub grant: Vec<ScopeArg>,
    /// When the consent ends: a duration (30m, 2h, 1d, 1h30m) or an RFC 3339 time
    #[arg(long, value_parser = parse_expiry, conflicts_with = "decline")]
    pub expires: Option<Expiry>,
    /// Decline the session instead
    #[arg(long)]
    pub decline: bool,
    /// Grant without asking for confirmation on the terminal
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// A session state, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum SessionStateArg {
    /// Waiting for the customer's decision
    #[value(alias = "pending-consent", alias = "pending")]
    PendingConsent,
    /// Consent granted, waiting for both ends to connect
    Ready,
    /// Agent and engineer connected
    Active,
    /// Over
    Ended,
    /// The customer declined
    Declined,
}

impl SessionStateArg {
    /// The wire value.
    pub fn to_proto(self) -> SessionState {
        match self {
            Self::PendingConsent => SessionState::PendingConsent,
            Self::Ready => SessionState::Ready,
            Self::Active => SessionState::Active,
            Self::Ended => SessionState::Ended,
            Self::Declined => SessionState::Declined,
        }
    }
}

/// A session as printed.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub session_id: String,
    pub tenant_id: String,
    pub case_id: String,
    pub state: Option<String>,
    pub requested_by: String,
    pub requested_scopes: Vec<String>,
    pub requested_at: Option<String>,
    pub consent: Option<ConsentView>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub end_reason: Option<String>,
    pub recording_id: Option<String>,
}

/// A consent as printed.
#[derive(Debug, Serialize)]
pub struct ConsentView {
    pub scopes: Vec<String>,
    pub granted_by: String,
    pub granted_at: Option<String>,
    pub expires_at: Option<String>,
    pub recording_acknowledged: bool,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl From<Session> for SessionView {
    fn from(s: Session) -> Self {
        SessionView {
            state: enum_name(
                SessionState::try_from(s.state)
                    .ok()
                    .map(|v| v.as_str_name()),
                "SESSION_STATE_",
                s.state,
            ),
            requested_scopes: scope::names(&s.requested_scopes),
            requested_at: rfc3339(s.requested_at.as_ref()),
            consent: s.consent.map(|c| ConsentView {
                scopes: scope::names(&c.scopes),
                granted_at: rfc3339(c.granted_at.as_ref()),
                expires_at: rfc3339(c.expires_at.as_ref()),
                recording_acknowledged: c.recording_acknowledged,
                revoked_at: rfc3339(c.revoked_at.as_ref()),
                revoked_by: present(&c.revoked_by),
                granted_by: c.granted_by,
            }),
            started_at: rfc3339(s.started_at.as_ref()),
            ended_at: rfc3339(s.ended_at.as_ref()),
            end_reason: (s.end_reason != 0).then(|| live::end_reason_name(s.end_reason)),
            recording_id: present(&s.recording_id),
            session_id: s.session_id,
            tenant_id: s.tenant_id,
            case_id: s.case_id,
            requested_by: s.requested_by,
        }
    }
}

impl SessionView {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let consent = self.consent.as_ref();
        let none = || "-".to_owned();
        vec![
            ("session", self.session_id.clone()),
            ("tenant", self.tenant_id.clone()),
            ("case", self.case_id.clone()),
            ("state", cell(self.state.as_ref())),
            ("requested by", self.requested_by.clone()),
            ("requested", cell(self.requested_at.as_ref())),
            ("capabilities", join_or_dash(&self.requested_scopes)),
            (
                "consent",
                consent.map_or_else(none, |c| join_or_dash(&c.scopes)),
            ),
            (
                "granted by",
                consent.map_or_else(none, |c| c.granted_by.clone()),
            ),
            (
                "granted",
                consent.map_or_else(none, |c| cell(c.granted_at.as_ref())),
            ),
            (
                "expires",
                consent.map_or_else(none, |c| cell(c.expires_at.as_ref())),
            ),
            (
                "recording acknowledged",
                consent.map_or_else(none, |c| yes_no(c.recording_acknowledged)),
            ),
            (
                "revoked",
                consent.map_or_else(none, |c| match (&c.revoked_at, &c.revoked_by) {
                    (Some(at), Some(by)) => format!("{at} by {by}"),
                    (Some(at), None) => at.clone(),
                    _ => "-".to_owned(),
                }),
            ),
            ("started", cell(self.started_at.as_ref())),
            ("ended", cell(self.ended_at.as_ref())),
            ("end reason", cell(self.end_reason.as_ref())),
            ("recording", cell(self.recording_id.as_ref())),
        ]
    }
}

fn join_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(",")
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// Runs a `session` command.
pub async fn run(
    command: SessionCommand,
    clients: &Clients,
    out: OutputFormat,
) -> Result<(), CliError> {
    match command {
        SessionCommand::Request { case, capabilities } => {
            let session = clients
                .sessions()
                .request_session(RequestSessionRequest {
                    case_id: case,
                    capabilities: scope::to_wire(&capabilities),
                })
                .await?
                .into_inner();
            note(&format!(
                "requested session {} on case {} ({}); waiting for the customer's consent",
                session.session_id,
                session.case_id,
                scope::names(&session.requested_scopes).join(",")
            ));
            print_created(out, session)
        }
        SessionCommand::Consent(args) => consent(clients, out, args).await,
        SessionCommand::Revoke { session } => {
            let session = clients
                .sessions()
                .revoke_consent(RevokeConsentRequest {
                    session_id: session,
                })
                .await?
                .into_inner();
            note(&format!(
                "revoked consent to session {}; it can no longer be used",
                session.session_id
            ));
            print_session(out, session)
        }
        SessionCommand::Show { session } => {
            let session = clients
                .sessions()
                .get_session(GetSessionRequest {
                    session_id: session,
                })
                .await?
                .into_inner();
            print_session(out, session)
        }
        SessionCommand::List { case, state } => list(clients, out, case, state).await,
    }
}

/// In table mode only the id on stdout (for `S=$(…)`); in JSON mode the whole session.
fn print_created(out: OutputFormat, session: Session) -> Result<(), CliError> {
    match out {
        OutputFormat::Json => emit(out, &SessionView::from(session), |_| String::new()),
        OutputFormat::Table => super::output::stdout(&format!("{}\n", session.session_id)),
    }
}

fn print_session(out: OutputFormat, session: Session) -> Result<(), CliError> {
    emit(out, &SessionView::from(session), |v| key_values(&v.pairs()))
}

/// The notice shown before a grant (DESIGN.md section 4: the customer is told).
pub fn recording_notice(session_id: &str, scopes: &[ScopeArg], expires: &str) -> String {
    let mut allowed = vec!["see your terminal"];
    if scopes.contains(&ScopeArg::Control) {
        allowed.push("type into it");
    }
    if scopes.contains(&ScopeArg::FileTransfer) {
        allowed.push("open a file-transfer workspace on the case");
    }
    let allowed = match allowed.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    format!(
        "Session {session_id} will be RECORDED: everything shown and typed in it, and its chat, is \
         written encrypted to a recording that you and the case's engineers can review. \
         You are letting the engineer {allowed} until {expires}; you can revoke this at any \
         time with `supportgate session revoke {session_id}`."
    )
}

async fn consent(clients: &Clients, out: OutputFormat, args: ConsentArgs) -> Result<(), CliError> {
    if args.decline {
        let session = clients
            .sessions()
            .decline_consent(DeclineConsentRequest {
                session_id: args.session,
            })
            .await?
            .into_inner();
        note(&format!("declined session {}", session.session_id));
        return print_session(out, session);
    }
    let expiry = args
        .expires
        .as_ref()
        .ok_or_else(|| CliError::usage("--grant needs --expires (e.g. 30m, 2h, 1d)"))?;
    if args.grant.is_empty() {
        return Err(CliError::usage("--grant needs at least one scope"));
    }
    let expires_at = expiry.resolve(SystemClock.now()).map_err(CliError::usage)?;
    let shown = rfc3339(Some(&expires_at)).unwrap_or_else(|| "-".to_owned());
    note(&recording_notice(&args.session, &args.grant, &shown));
    if !args.yes && std::io::stdin().is_terminal() && !confirm("Grant consent?")? {
        return Err(CliError::failed("consent not granted"));
    }
    let session = clients
        .sessions()
        .grant_consent(GrantConsentRequest {
            session_id: args.session,
            scopes: scope::to_wire(&args.grant),
            expires_at: Some(expires_at),
            recording_acknowledged: true,
        })
        .await?
        .into_inner();
    note(&format!(
        "granted {} on session {} until {}",
        session
            .consent
            .as_ref()
            .map(|c| scope::names(&c.scopes).join(","))
            .unwrap_or_default(),
        session.session_id,
        session
            .consent
            .as_ref()
            .and_then(|c| rfc3339(c.expires_at.as_ref()))
            .unwrap_or(shown)
    ));
    print_session(out, session)
}

/// Asks a yes/no question on the terminal; only `y` or `yes` is a yes.
fn confirm(question: &str) -> Result<bool, CliError> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
    Ok(is_yes(&answer))
}

/// Whether an answer to a confirmation question is a yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

async fn list(
    clients: &Clients,
    out: OutputFormat,
    case: String,
    state: Option<SessionStateArg>,
) -> Result<(), CliError> {
    let client = clients.sessions();
    let state = state.map_or(SessionState::Unspecified, SessionStateArg::to_proto) as i32;
    let all = page::collect(None, |page_token, page_size| {
        let mut client = client.clone();
        let request = ListSessionsRequest {
            case_id: case.clone(),
            state,
            page_size,
            page_token,
        };
        async move {
            let r = client.list_sessions(request).await?.into_inner();
            Ok((r.sessions, r.next_page_token))
        }
    })
    .await?;
    let views: Vec<SessionView> = all.into_iter().map(SessionView::from).collect();
    emit(out, &views, |views| {
        let mut table = Table::new(&[
            "session",
            "state",
            "capabilities",
            "consent",
            "expires",
            "requested",
            "end reason",
            "recording",
        ]);
        for s in views {
            let consent = s.consent.as_ref();
            table.push(vec![
                s.session_id.clone(),
                cell(s.state.as_ref()),
                join_or_dash(&s.requested_scopes),
                consent.map_or_else(|| "-".to_owned(), |c| join_or_dash(&c.scopes)),
                cell(consent.and_then(|c| c.expires_at.as_ref())),
                cell(s.requested_at.as_ref()),
                cell(s.end_reason.as_ref()),
                cell(s.recording_id.as_ref()),
            ]);
        }
        table.render()
    })
}
