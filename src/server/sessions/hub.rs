//! The live sessions of this gateway; a supervisor per session that ends it on consent
//! expiry, shutdown or its participants' leaving, and one watch for all of them that
//! ends them on decisions stored by any instance: revocation, case closure, revoked
//! credentials.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use supportgate_service::{Caller, JoinGrant, ParticipantKind, Services};
use supportgate_store::{EndReason, LiveChanges};
use supportgate_types::{CaseId, SessionId};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::end::Ejected;
use super::live::{AttachError, Attached, LiveSession};
use super::outbound::Outbound;
use super::RelaySettings;

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
        outbound: mpsc::Sender<Outbound>,
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

    /// Starts the watch that ends live sessions on decisions stored elsewhere.
    pub fn spawn_watch(self: &Arc<Self>) {
        let every = self.settings.check_interval;
        tokio::spawn(watch(Arc::downgrade(self), self.shutdown.clone(), every));
    }

    fn apply(&self, changes: &LiveChanges) {
        let map = self.map();
        for (session, reason) in &changes.ended {
            if let Some(live) = map.get(session) {
                live.end.end(*reason);
            }
        }
        for live in map.values() {
            if changes.closed_cases.contains(&live.record().case) {
                live.end.end(EndReason::CaseClosed);
            }
            if changes.revoked_credentials.is_empty() {
                continue;
            }
            for member in live.members().iter() {
                let revoked = member
                    .caller
                    .principal
                    .credential
                    .is_some_and(|c| changes.revoked_credentials.contains(&c));
                match (revoked, member.kind) {
                    (false, _) => {}
                    (true, ParticipantKind::Observer) => {
                        member.ejection.eject(Ejected::CredentialRevoked)
                    }
                    (true, _) => live.end.end(EndReason::CredentialRevoked),
                }
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
        }
    }
    // Boxed: the end's store writes take memory only once the session ends.
    Box::pin(live.finish()).await;
    hub.forget(&live);
}

/// Every check interval, asks the store what ended live sessions since the last look
/// (three small queries, however many sessions are live) and ends what it names:
/// revocations on other instances, closed cases, revoked credentials.
async fn watch(hub: Weak<SessionHub>, shutdown: CancellationToken, every: Duration) {
    let Some(services) = hub.upgrade().map(|h| h.services.clone()) else {
        return;
    };
    let mut since = services.now();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let Some(hub) = hub.upgrade() else {
            return;
        };
        let now = services.now();
        if hub.is_empty() {
            since = now;
            continue;
        }
        // Look back one interval more: another instance's clock may be a little behind.
        let from = since - chrono::Duration::from_std(every).unwrap_or_default();
        match services.live_changes_since(from).await {
            Ok(changes) => {
                hub.apply(&changes);
                since = now;
            }
            Err(error) => tracing::warn!(error = %crate::error_chain(&error),
                "could not check live sessions against the store; trying again"),
        }
    }
}
