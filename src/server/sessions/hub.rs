//! The live sessions of this gateway, and the supervisor that ends each one: consent
//! expiry, revocation (here or on another instance), case closure, revoked
//! credentials, shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use supportgate_service::{Caller, JoinGrant, ParticipantKind, Services};
use supportgate_store::EndReason;
use supportgate_types::{CaseId, SessionId};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::end::Ejected;
use super::live::{AttachError, Attached, LiveSession};
use super::RelaySettings;
use crate::proto;

/// Every session with a participant connected to this gateway.
#[derive(Debug)]
pub struct SessionHub {
    live: Mutex<HashMap<SessionId, Arc<LiveSession>>>,
    services: Services,
    settings: RelaySettings,
    shutdown: CancellationToken,
}

impl SessionHub {
    /// An empty hub; its sessions end with `SHUTDOWN` when `shutdown` is cancelled.
    pub fn new(services: Services, settings: RelaySettings, shutdown: CancellationToken) -> Self {
        Self {
            live: Mutex::new(HashMap::new()),
            services,
            settings,
            shutdown,
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<SessionId, Arc<LiveSession>>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Attaches a participant to the live session of `grant`, bringing it live here
    /// (with its supervisor) if it is not yet.
    pub fn attach(
        self: &Arc<Self>,
        grant: &JoinGrant,
        kind: ParticipantKind,
        caller: Caller,
        outbound: mpsc::Sender<proto::Frame>,
    ) -> Result<(Arc<LiveSession>, Attached), AttachError> {
        let id = grant.session.id;
        let mut retried = false;
        loop {
            let live = {
                let mut map = self.map();
                map.entry(id)
                    .or_insert_with(|| {
                        let live = Arc::new(LiveSession::new(
                            grant,
                            self.services.clone(),
                            self.settings.clone(),
                        ));
                        tokio::spawn(supervise(self.clone(), live.clone()));
                        live
                    })
                    .clone()
            };
            match live.attach(kind, caller.clone(), &grant.subject_name, outbound.clone()) {
                // Torn down between lookup and attach (its last participant left
                // before it started): a fresh one takes its place, once.
                Err(AttachError::Closed) if !retried && !live.end.is_ended() => {
                    self.forget(&live);
                    retried = true;
                }
                result => return result.map(|attached| (live, attached)),
            }
        }
    }

    /// Ends the live session `session` for `reason`, if it is live here.
    pub fn end(&self, session: SessionId, reason: EndReason) {
        if let Some(live) = self.map().get(&session) {
            live.end.end(reason);
        }
    }

    /// Ends every live session of `case` for `reason`.
    pub fn end_case(&self, case: CaseId, reason: EndReason) {
        for live in self.map().values() {
            if live.record().case == case {
                live.end.end(reason);
            }
        }
    }

    /// How many sessions are live here.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }

    fn forget(&self, live: &Arc<LiveSession>) {
        let mut map = self.map();
        if map
            .get(&live.record().id)
            .is_some_and(|l| Arc::ptr_eq(l, live))
        {
            map.remove(&live.record().id);
        }
    }
}

/// Watches one live session until it ends, then finishes it.
async fn supervise(hub: Arc<SessionHub>, live: Arc<LiveSession>) {
    let left = (live.expires_at() - hub.services.now())
        .to_std()
        .unwrap_or_default();
    let expiry = Instant::now() + left;
    let check = live.settings().check_interval;
    let mut checks = tokio::time::interval_at(Instant::now() + check, check);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = live.end.ended() => break,
            () = live.vacated.notified() => {
                if live.close_if_vacant() {
                    hub.forget(&live);
                    return;
                }
            }
            () = hub.shutdown.cancelled() => live.end.end(EndReason::Shutdown),
            () = tokio::time::sleep_until(expiry) => live.end.end(EndReason::ConsentExpired),
            _ = checks.tick() => {
                if let Some(reason) = end_due(&hub.services, &live).await {
                    live.end.end(reason);
                }
            }
        }
    }
    live.finish().await;
    hub.forget(&live);
}

/// What the store says about the session and its participants' credentials. A store
/// that cannot answer ends nothing here: the recording's own writes fail closed.
async fn end_due(services: &Services, live: &LiveSession) -> Option<EndReason> {
    match services.session_end_due(live.record()).await {
        Ok(Some(reason)) => return Some(reason),
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(session = %live.record().id, error = %crate::error_chain(&error),
                "could not re-check the session; trying again");
            return None;
        }
    }
    for member in live.members() {
        let principal = &member.caller.principal;
        match services
            .participant_still_authorized(principal.subject, principal.credential)
            .await
        {
            Ok(true) => {}
            Ok(false) if member.kind == ParticipantKind::Observer => {
                member.ejection.eject(Ejected::CredentialRevoked);
            }
            Ok(false) => return Some(EndReason::CredentialRevoked),
            Err(error) => {
                tracing::warn!(session = %live.record().id, error = %crate::error_chain(&error),
                    "could not re-check a participant's credential; trying again");
            }
        }
    }
    None
}
