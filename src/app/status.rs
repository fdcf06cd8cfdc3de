//! What the window's always-visible sync indicator shows, and how a sync's start, progress and
//! outcome change it. The shell keeps one [`SyncStatus`] and sends it to the UI on every change.
//!
//! Owns: those rules (online from the `offline` code, what a finished sync records). Must not:
//! do IO.

use serde::{Deserialize, Serialize};

use super::{ApiError, ErrorCode, SyncSummary};

/// The sync indicator's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The last sync reached the server (false after an `offline` error).
    pub online: bool,
    pub syncing: bool,
    /// When the last sync succeeded (RFC 3339).
    pub last_synced: Option<String>,
    /// Submissions queued on this machine.
    pub pending: u32,
    /// Why the last sync failed, in words.
    pub error: Option<String>,
    /// The code of that failure.
    pub error_code: Option<ErrorCode>,
    /// Versions the last sync added.
    pub added: u32,
    /// The feed being synced (while `syncing`), else the last one synced.
    pub feed: Option<String>,
    /// When the running sync started (RFC 3339).
    pub started_at: Option<String>,
    /// What the running sync is doing: `connecting`, `snapshot`, `changes`, `apply`, `retry`,
    /// `outbox` (from the core's progress callback).
    pub phase: Option<String>,
    /// The same in words, e.g. "downloading the catalogue from https://…".
    pub message: Option<String>,
    /// Remote updates held back after the last sync (each retried on every sync).
    pub held: u32,
    /// Cities whose draft the last sync rebased (the Edit screen shows the rebased draft).
    pub rebased: Vec<String>,
}

impl SyncStatus {
    /// A sync with `feed` starts now.
    pub fn start(&mut self, feed: &str, now: String) {
        self.syncing = true;
        self.rebased.clear();
        self.feed = Some(feed.to_string());
        self.started_at = Some(now);
        self.phase = Some("connecting".into());
        self.message = Some(format!("connecting to {feed}"));
    }

    /// The running sync reports a phase. After the pull (`done`) a signed-in sync sends the
    /// outbox: shown as `outbox`.
    pub fn progress(&mut self, phase: String, message: String, feed: &str, signed_in: bool) {
        let (phase, message) = if phase == "done" && signed_in {
            ("outbox".to_string(), format!("sending submissions to {feed}"))
        } else {
            (phase, message)
        };
        self.phase = Some(phase);
        self.message = Some(message);
    }

    /// The sync ended: with what it did, or why it failed. Only an `offline` failure says the
    /// server is out of reach; any other answer came from it. A cancelled sync (a restore
    /// stopped it) records that, not a failure of the network.
    pub fn finish(&mut self, result: Result<&SyncSummary, &ApiError>, cancelled: bool, now: String) {
        self.syncing = false;
        self.started_at = None;
        self.phase = None;
        self.message = None;
        match result {
            Ok(r) => {
                self.online = true;
                self.error = None;
                self.error_code = None;
                self.last_synced = Some(now);
                self.pending = r.pending;
                self.added = r.pull.added.len() as u32;
                self.held = r.pull.held;
                self.rebased = r.pull.rebased.iter().map(|(c, _)| c.clone()).collect();
            }
            Err(_) if cancelled => {
                self.error = Some("sync stopped for a restore".into());
                self.error_code = None;
            }
            Err(e) => {
                self.online = e.code != ErrorCode::Offline;
                self.error = Some(e.message.clone());
                self.error_code = Some(e.code);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_offline_failure_is_shown_as_offline() {
        let mut st = SyncStatus::default();
        st.start("https://feed.example.org", "t0".into());
        assert!(st.syncing);
        assert_eq!(st.phase.as_deref(), Some("connecting"));
        st.progress("done".into(), "done".into(), "https://feed.example.org", true);
        assert_eq!(st.phase.as_deref(), Some("outbox"));
        st.finish(Err(&ApiError::new(ErrorCode::Offline, "no route")), false, "t1".into());
        assert!(!st.online && !st.syncing);
        assert_eq!(st.error_code, Some(ErrorCode::Offline));
        for code in [ErrorCode::Unauthorized, ErrorCode::Busy, ErrorCode::InvalidInput, ErrorCode::Io] {
            st.finish(Err(&ApiError::new(code, "x")), false, "t2".into());
            assert!(st.online, "{code}: the server answered");
        }
        st.finish(Err(&ApiError::new(ErrorCode::Offline, "x")), true, "t3".into());
        assert_eq!(st.error.as_deref(), Some("sync stopped for a restore"));
        assert_eq!(st.last_synced, None);
    }
}

/// What "Sync now" did: started a sync, or says why not (one is running: since when, doing
/// what; or there is no feed to sync with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncRequest {
    pub started: bool,
    /// In English, for logs; the window words `code`.
    pub message: String,
    /// `started`, `already_syncing` or `no_feed`.
    pub code: String,
    /// The feed being synced (started, already_syncing).
    pub feed: Option<String>,
    /// How long the running sync has run, in seconds (already_syncing).
    pub running_secs: Option<u32>,
    /// What the running sync is doing (already_syncing): a [`SyncStatus::phase`].
    pub phase: Option<String>,
}

impl SyncRequest {
    /// "Sync now" started a sync with `feed`.
    pub fn started(feed: Option<&str>) -> Self {
        SyncRequest {
            started: true,
            message: format!("Syncing with {}…", feed.unwrap_or_default()),
            code: "started".into(),
            feed: feed.map(str::to_string),
            running_secs: None,
            phase: None,
        }
    }
}

impl SyncStatus {
    /// The answer to "Sync now": `None` when a sync may start, else why not. `running_secs`:
    /// how long the running sync has run.
    pub fn refuse_sync(&self, running_secs: u64, feed_url: Option<&str>) -> Option<SyncRequest> {
        if self.syncing {
            let feed = self.feed.clone().unwrap_or_default();
            let doing = self.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
            return Some(SyncRequest {
                started: false,
                message: format!("Already syncing with {feed} — started {running_secs} s ago{doing}"),
                code: "already_syncing".into(),
                feed: Some(feed),
                running_secs: Some(u32::try_from(running_secs).unwrap_or(u32::MAX)),
                phase: self.phase.clone(),
            });
        }
        if feed_url.is_none() {
            return Some(SyncRequest {
                started: false,
                message: "Set the feed URL in Settings first".into(),
                code: "no_feed".into(),
                feed: None,
                running_secs: None,
                phase: None,
            });
        }
        None
    }
}
