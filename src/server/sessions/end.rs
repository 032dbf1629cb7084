//! How a live session learns that it must end, and why: the first reason wins.

use std::sync::{Arc, OnceLock};

use supportgate_store::EndReason;
use tokio_util::sync::CancellationToken;

/// Shared by everything that can end a session: participants, the recorder, the
/// supervisor's timers and checks, `RevokeConsent`, shutdown.
#[derive(Clone, Debug, Default)]
pub struct EndSignal {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    reason: OnceLock<EndReason>,
    token: CancellationToken,
}

impl EndSignal {
    /// Ends the session for `reason`, unless it is already ending for another.
    pub fn end(&self, reason: EndReason) {
        let _ = self.inner.reason.set(reason);
        self.inner.token.cancel();
    }

    /// Why the session ends, once it does.
    pub fn reason(&self) -> Option<EndReason> {
        self.inner.reason.get().copied()
    }

    /// Whether it is ending.
    pub fn is_ended(&self) -> bool {
        self.inner.token.is_cancelled()
    }

    /// Resolves when the session ends.
    pub async fn ended(&self) {
        self.inner.token.cancelled().await;
    }
}

/// Why the relay removed one participant while the session goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ejected {
    /// Its frames were not being read (an observer that fell behind).
    NotReading,
    /// Its credential was revoked, or its subject removed.
    CredentialRevoked,
}

/// Removes one participant: the relay or the supervisor decides, the participant's own
/// stream ends with the reason.
#[derive(Clone, Debug, Default)]
pub struct Ejection {
    inner: Arc<EjectionInner>,
}

#[derive(Debug, Default)]
struct EjectionInner {
    why: OnceLock<Ejected>,
    token: CancellationToken,
}

impl Ejection {
    /// Ejects the participant (the first reason wins).
    pub fn eject(&self, why: Ejected) {
        let _ = self.inner.why.set(why);
        self.inner.token.cancel();
    }

    /// Why it was ejected, once it was.
    pub fn why(&self) -> Option<Ejected> {
        self.inner.why.get().copied()
    }

    /// Resolves when it is ejected.
    pub async fn ejected(&self) {
        self.inner.token.cancelled().await;
    }
}
