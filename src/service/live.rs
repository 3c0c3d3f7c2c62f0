//! The policy in force while the service runs. It is loaded from the
//! configuration and roster files and swapped atomically when they change
//! (file watching, a periodic check, and SIGHUP): a request sees the old
//! policy or the new one, never a mix. A version that does not validate never
//! replaces the last good one; it makes the service report not-ready, with
//! every problem, until a good version is saved.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::config::{Config, LoadError};
use crate::git::load_gate;
use crate::policy::gate::Gate;

/// How often the files are compared with what was loaded, in case file
/// events are lost (network filesystems, exhausted inotify watches).
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How long to wait for an editor to finish saving before reading.
const SETTLE: Duration = Duration::from_millis(100);

/// One validated version of the configuration and roster.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// The policy built from it and the roster.
    pub gate: Gate,
    /// 1 for the version loaded at start, then one more per reload that
    /// changed something.
    pub generation: u64,
}

/// Whether the files on disk are the ones in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The last version read is in force.
    Ready,
    /// The last version read did not validate; the previous good one is
    /// still in force. Each problem reads `file:line:col: message`.
    Stale {
        /// Every problem found.
        problems: Vec<String>,
    },
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The files are as last read: nothing to do.
    Unchanged,
    /// A new version is in force.
    Reloaded {
        /// Its generation.
        generation: u64,
    },
    /// The files do not validate; the last good version stays in force.
    Rejected {
        /// Every problem found.
        problems: Vec<String>,
    },
}

/// The bytes of the configuration and the roster, `None` when unreadable.
type FileBytes = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The policy in force and how it got there.
pub struct LiveGate {
    config_path: PathBuf,
    current: ArcSwap<Loaded>,
    health: ArcSwap<Health>,
    /// The bytes of (config, roster) last read, to skip events that changed nothing.
    last_read: Mutex<FileBytes>,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

impl std::fmt::Debug for LiveGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveGate").field("config_path", &self.config_path).field("generation", &self.current().generation).finish()
    }
}

impl LiveGate {
    /// Loads the configuration at `config_path` and the roster it names.
    pub fn load(config_path: &Path) -> Result<LiveGate, LoadError> {
        let (config, gate) = load_gate(config_path)?;
        let texts = read_texts(config_path, &config);
        Ok(LiveGate {
            config_path: config_path.to_owned(),
            current: ArcSwap::from_pointee(Loaded { config, gate, generation: 1 }),
            health: ArcSwap::from_pointee(Health::Ready),
            last_read: Mutex::new(texts),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
        })
    }

    /// The version in force. Hold on to it for a whole request.
    pub fn current(&self) -> Arc<Loaded> {
        self.current.load_full()
    }

    /// Whether the files on disk are the version in force.
    pub fn health(&self) -> Arc<Health> {
        self.health.load_full()
    }

    /// Successful reloads since start.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// Reloads refused because the files did not validate.
    pub fn reload_failures(&self) -> u64 {
        self.reload_failures.load(Ordering::Relaxed)
    }

    /// The configuration file.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Rereads the files. Unless `force`, files identical to the last read
    /// are not parsed again. Blocking (file I/O): call it off async threads.
    pub fn reload(&self, force: bool) -> ReloadOutcome {
        let texts = read_texts(&self.config_path, &self.current().config);
        {
            let mut last = self.last_read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !force && *last == texts {
                return ReloadOutcome::Unchanged;
            }
            *last = texts;
        }
        match load_gate(&self.config_path) {
            Ok((config, gate)) => {
                let previous = self.current();
                if config.server != previous.config.server {
                    tracing::warn!(
                        config = %self.config_path.display(),
                        "[server] settings changed; they take effect at the next restart (policy, detection and roster are reloaded now)"
                    );
                }
                let generation = previous.generation + 1;
                let engineers = gate.roster.engineers().len();
                let approvers = gate.approver_count();
                self.current.store(Arc::new(Loaded { config, gate, generation }));
                self.health.store(Arc::new(Health::Ready));
                self.reloads.fetch_add(1, Ordering::Relaxed);
                tracing::info!(generation, engineers, approvers, "configuration and roster reloaded");
                ReloadOutcome::Reloaded { generation }
            }
            Err(failure) => {
                let problems = failure.problem_lines();
                for problem in &problems {
                    tracing::error!(problem = %problem, "reload refused; still serving the last good roster");
                }
                self.health.store(Arc::new(Health::Stale { problems: problems.clone() }));
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
                ReloadOutcome::Rejected { problems }
            }
        }
    }

    /// Watches the configuration and roster files (and SIGHUP) until
    /// `shutdown` completes, reloading on every change.
    pub async fn watch(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        let (events, mut changed) = tokio::sync::mpsc::unbounded_channel::<()>();
        // Only events naming the configuration or the roster matter: other
        // files in the same folder (an audit log, say) may change all the time.
        let names: Vec<std::ffi::OsString> = [self.config_path.clone(), self.current().config.server.roster.clone()]
            .iter()
            .filter_map(|path| path.file_name().map(std::ffi::OsStr::to_os_string))
            .collect();
        let mut watcher = match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let relevant = event.is_ok_and(|event| {
                !event.kind.is_access()
                    && (event.paths.is_empty()
                        || event.paths.iter().any(|path| path.file_name().is_some_and(|name| names.iter().any(|n| n == name))))
            });
            if relevant {
                let _ = events.send(());
            }
        }) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "cannot watch files; changes are picked up every {} s and on SIGHUP", POLL_INTERVAL.as_secs());
                None
            }
        };
        let mut watched: Vec<PathBuf> = Vec::new();
        let mut hangup = hangup_signal();
        let mut poll = tokio::time::interval(POLL_INTERVAL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            if let Some(watcher) = watcher.as_mut() {
                self.watch_folders(watcher, &mut watched);
            }
            let force = tokio::select! {
                () = &mut shutdown => return,
                Some(()) = changed.recv() => {
                    // Let the editor finish (write, rename), then read once.
                    tokio::time::sleep(SETTLE).await;
                    while changed.try_recv().is_ok() {}
                    false
                }
                _ = poll.tick() => false,
                Some(()) = hangup.recv() => {
                    tracing::info!("SIGHUP: reloading configuration and roster");
                    true
                }
            };
            let live = Arc::clone(&self);
            if let Err(error) = tokio::task::spawn_blocking(move || live.reload(force)).await {
                tracing::error!(%error, "reload task failed");
            }
        }
    }

    /// Watches the folders holding the configuration and the roster (not the
    /// files: editors that save by rename replace them); for a roster in
    /// git, the folders its ref is written in (loose, and `packed-refs`).
    fn watch_folders(&self, watcher: &mut notify::RecommendedWatcher, watched: &mut Vec<PathBuf>) {
        use notify::Watcher;
        let current = self.current();
        let parent_of = |file: &Path| match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut folders = vec![parent_of(&self.config_path)];
        match &current.config.server.roster_git {
            Some(source) => {
                folders.push(source.repository.clone());
                folders.push(parent_of(&source.repository.join(&source.refname)));
            }
            None => folders.push(parent_of(&current.config.server.roster)),
        }
        for folder in folders {
            if watched.contains(&folder) {
                continue;
            }
            match watcher.watch(&folder, notify::RecursiveMode::NonRecursive) {
                Ok(()) => tracing::debug!(folder = %folder.display(), "watching for changes"),
                Err(error) => tracing::warn!(folder = %folder.display(), %error, "cannot watch folder; relying on the periodic check"),
            }
            watched.push(folder);
        }
    }
}

/// A stream of SIGHUPs (never fires where there are none).
fn hangup_signal() -> tokio::sync::mpsc::UnboundedReceiver<()> {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut signal) => {
                tokio::spawn(async move {
                    while signal.recv().await.is_some() {
                        if send.send(()).is_err() {
                            break;
                        }
                    }
                });
            }
            Err(error) => tracing::warn!(%error, "cannot listen for SIGHUP"),
        }
    }
    #[cfg(not(unix))]
    drop(send);
    receive
}

/// The bytes of the configuration and the roster (None when unreadable).
fn read_texts(config_path: &Path, config: &Config) -> FileBytes {
    let roster = match &config.server.roster_git {
        // A roster in git changes when its ref moves (a push): read it there.
        Some(source) => crate::git::GitRepo::open_exact(&source.repository)
            .ok()
            .and_then(|repo| repo.file_at(&source.refname, &source.path).ok().flatten()),
        None => std::fs::read(&config.server.roster).ok(),
    };
    (std::fs::read(config_path).ok(), roster)
}
