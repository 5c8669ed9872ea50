//! The running daemon: wires configuration, spool, queues, accounting and logs together into
//! the shared state, and owns start-up ([`start`]) and reload ([`Shared::reload`]).
//!
//! What is here is what more than one side shares: the shared state ([`Shared`], [`State`],
//! [`Policies`], the queue a connection works for [`Context`], the queue routes [`Routes`]),
//! the inbound side's storage ([`smtp_intake`], and [`report_intercept`] for return-path
//! mail), jobs, pauses, warm-up, spool space, the fleet wiring ([`fleet`]) and the control
//! verbs ([`backend`]). The delivery of queued mail is [`crate::outbound`], built on this
//! state; the process that starts both (signals, listeners, shutdown) is
//! `cli::run_daemon`. Neither is named here, so the layers import downwards only.
//!
//! Data flow: SMTP session ([`crate::inbound`]) -> [`smtp_intake`] (policy, spool, 250) -> queue
//! index -> [`crate::outbound`] (scheduler, connection loop, outcomes, DSNs).

mod backend;
pub(crate) mod convert;
pub(crate) mod fleet;
pub(crate) mod jobs;
mod pauses;
mod policies;
mod queue_context;
mod queue_routes;
mod report_intercept;
mod smtp_intake;
pub(crate) mod space;
mod state;
mod users;
mod warmup;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::acct::{Accounting, AcctRecord, Attempt};
use crate::dns::Resolver;
use crate::envelope::{Envelope, MessageId};
use crate::logs::LogSink;
use crate::spool::Spool;

pub use backend::DaemonBackend;
pub use pauses::{PauseFile, PauseFileError};
pub use policies::Policies;
pub use queue_context::Context;
pub use queue_routes::{Routes, route};
pub use smtp_intake::DaemonIntake;
pub use space::{SpoolSpace, Transition};
pub use state::{QueueRt, RecentEvent, State};
pub use users::{hash_password, verify_password};
pub use warmup::{ColdDay, Warmup, WarmupError};

/// Traffic counters for `show status`.
#[derive(Debug, Default)]
pub struct Counters {
    pub msgs_in: AtomicU64,
    pub rcpts_in: AtomicU64,
    pub delivered: AtomicU64,
    /// Messages with at least one recipient delivered, and their bytes (traffic out).
    pub msgs_out: AtomicU64,
    pub bytes_out: AtomicU64,
    pub bounced: AtomicU64,
    pub deferred: AtomicU64,
    pub conns_out: AtomicU64,
}

/// State shared by every task of the daemon.
pub struct Shared {
    pub config_path: PathBuf,
    policies: ArcSwap<Policies>,
    resolver: ArcSwap<Resolver>,
    /// Inbound STARTTLS (certificate, versions, suites) as the SMTP listener's sessions
    /// take it; a reload replaces it.
    pub inbound_tls: crate::inbound::tls::TlsSlot,
    pub spool: Spool,
    state: Mutex<State>,
    /// Wakes the scheduler: new mail, a connection closed, an operator action.
    pub wake: Notify,
    pub acct: Accounting,
    pub logs: LogSink,
    pub counters: Counters,
    /// Jobs (`X-Job`): figures for `show jobs`, and the paused ones.
    pub jobs: jobs::Jobs,
    /// `cold-virtual-mta` warm-up counters (persisted in the spool directory).
    pub warmup: Warmup,
    /// Bounce and complaint processing: the stamp key, the last reports, counters.
    pub returnpath: crate::returnpath::ReturnPath,
    /// Whether intake is refused for lack of spool space.
    pub space: SpoolSpace,
    /// Counters only `/metrics` reads (DNS failures, TLS handshakes).
    pub metrics: crate::metrics::DaemonMetrics,
    /// Bumped after every successful reload, for parts that follow the config (the HTTP
    /// listener rebinds when `http-mgmt-port` changed).
    pub reloads: tokio::sync::watch::Sender<u64>,
    pub started: SystemTime,
    pub shutdown: CancellationToken,
    /// The fleet (`cluster-redis-url`): cluster-wide limits; `None` = a lone node.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config_path", &self.config_path)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The running configuration and its policies.
    pub fn policies(&self) -> Arc<Policies> {
        self.policies.load_full()
    }

    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver.load_full()
    }

    /// The delivery state; never hold the guard across an await.
    pub fn state(&self) -> MutexGuard<'_, State> {
        crate::locks::lock(&self.state)
    }

    /// Our name for banners, EHLO and DSNs: `host-name`, else the system's.
    pub fn host_name(&self) -> String {
        self.policies()
            .config
            .host_name
            .clone()
            .unwrap_or_else(system_host_name)
    }

    /// A message was stored: queue its recipients, write `r` records, wake the scheduler.
    pub async fn accepted(&self, id: MessageId, envelope: Envelope) {
        let now = crate::logs::clock::now_secs();
        let held = jobs::note_received(&self.jobs, id, &envelope);
        let policies = self.policies();
        let routes = if (policies.merges || policies.warmups) && !held {
            self.routes_for(&policies, &envelope, now)
        } else {
            Default::default()
        };
        let queued = {
            let mut st = self.state();
            let pick = |d: &str| routes.get(d).cloned().unwrap_or_default();
            let queued = match held {
                true => pending(&envelope),
                false => st.index.insert_routed(id, &envelope, None, now, pick),
            };
            count_received(&mut st, &envelope, &routes);
            queued
        };
        self.logs.accepted(id, &envelope);
        self.counters.msgs_in.fetch_add(1, Ordering::Relaxed);
        self.counters
            .rcpts_in
            .fetch_add(queued as u64, Ordering::Relaxed);
        let receipts = self
            .policies()
            .wants_record(crate::acct::RecordType::Receipt, false);
        for rcpt in envelope.recipients.iter().filter(|_| receipts) {
            let attempt = Attempt::smtp(&rcpt.domain().to_ascii_lowercase(), &envelope.vmta);
            let rec = AcctRecord::receipt(&envelope, rcpt, &attempt, None);
            let _ = self.acct.record(rec).await;
        }
        self.wake.notify_one();
    }

    /// The queue of each pending recipient domain of `env`: a merged queue (`queue-to`, MX
    /// rollup) and the warm-up choice (the cold virtual MTA while the day's allowance of the
    /// queue's domain lasts, counted once per message and domain).
    fn routes_for(
        &self,
        policies: &Policies,
        env: &Envelope,
        now: u64,
    ) -> std::collections::HashMap<String, crate::queue::Route> {
        let mut out = std::collections::HashMap::new();
        {
            let mut st = self.state();
            for r in env.recipients.iter() {
                let d = r.domain().to_ascii_lowercase();
                if r.state == crate::envelope::RcptState::Pending && !out.contains_key(&d) {
                    let route = route(policies, &mut st.routes, &d, &env.vmta);
                    out.insert(d, route);
                }
            }
        }
        let Some(cold) = policies.config.cold_vmta_of(&env.vmta) else {
            return out;
        };
        for (d, route) in out.iter_mut() {
            let qd = route.domain.as_deref().unwrap_or(d);
            let allowance = policies
                .queue(qd, &env.vmta)
                .max_cold_virtual_mta_msg
                .clone();
            if self.warmup.take(cold, qd, &allowance, now) {
                route.vmta = Some(Arc::from(cold));
            }
        }
        out
    }

    /// Swap in a new configuration; on errors the running one stays and they are returned.
    pub fn reload(&self) -> Result<Vec<String>, Vec<String>> {
        let loaded = config::load(&self.config_path).map_err(|d| lines(&d.to_string()))?;
        let warnings = loaded.warnings.iter().map(|w| w.to_string()).collect();
        fleet_unchanged(&self.policies().config, &loaded.config)?;
        let policies = Arc::new(Policies::new(loaded.config).map_err(|e| vec![e.to_string()])?);
        let cfg = &policies.config;
        if let Some(cluster) = &self.cluster {
            cluster.set_fallback(cfg.cluster.fallback);
        }
        let acct = policies.acct.clone();
        crate::acct::check(&acct)
            .map_err(|errs| errs.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        let log_opts = crate::logs::log_options(cfg);
        let resolver = Resolver::new(&cfg.name_servers).map_err(|e| vec![e.to_string()])?;
        let tls = crate::inbound::tls::from_config(cfg)
            .map_err(|e| vec![format!("smtp-server-tls-certificate: {e}")])?;
        // The HTTP listener reads it again once told of the reload; checked here so that
        // a certificate that cannot be used fails the reload.
        crate::http::tls_config(&cfg.http)
            .map_err(|e| vec![format!("http-tls-certificate: {e}")])?;
        self.logs
            .reload(&log_opts)
            .map_err(|e| vec![e.to_string()])?;
        let acct_handle = self.acct.clone();
        tokio::spawn(async move {
            let _ = acct_handle.reload(acct).await;
        });
        self.resolver.store(Arc::new(resolver));
        self.policies.store(policies.clone());
        self.inbound_tls.set(tls);
        self.state()
            .apply_policies(&policies, std::time::Instant::now());
        self.logs.event("configuration reloaded");
        self.wake.notify_one();
        self.reloads.send_modify(|n| *n += 1);
        Ok(warnings)
    }
}

/// A node joins its fleet at start: a reload that names another Redis, other TLS files or
/// another node id is refused whole (the running configuration stays), since the connection
/// to Redis, leases and heartbeats already carry the old ones. `cluster-fallback` and the
/// `cluster-*` limits do reload.
fn fleet_unchanged(old: &config::Config, new: &config::Config) -> Result<(), Vec<String>> {
    let fixed = |c: &config::Cluster| {
        let files = [&c.redis_ca_file, &c.redis_cert_file, &c.redis_key_file];
        (
            c.redis_url.clone(),
            c.node_id.clone(),
            files.map(Clone::clone),
        )
    };
    if fixed(&old.cluster) == fixed(&new.cluster) {
        return Ok(());
    }
    Err(vec![
        "cluster-redis-url / cluster-redis-*-file / cluster-node-id changed: they take \
         effect at restart only; reload refused, the running configuration stays"
            .to_string(),
    ])
}

/// Counts each pending recipient of a just-queued message as received by its queue.
fn count_received(
    st: &mut State,
    envelope: &Envelope,
    routes: &std::collections::HashMap<String, crate::queue::Route>,
) {
    let pending = envelope
        .recipients
        .iter()
        .filter(|r| r.state == crate::envelope::RcptState::Pending);
    for r in pending {
        // The queue routing chose (merged queue, warm-up virtual MTA), else the plain one.
        let route = (!routes.is_empty())
            .then(|| routes.get(&r.domain().to_ascii_lowercase()))
            .flatten();
        let domain = route
            .and_then(|x| x.domain.as_deref())
            .unwrap_or(r.domain());
        let vmta = route
            .and_then(|x| x.vmta.as_deref())
            .unwrap_or(&envelope.vmta);
        if let Some(q) = st.index.queue_id(domain, vmta) {
            st.tally.row(q).received += 1;
        }
    }
}

/// Create the directories the config names (spool, log and accounting folders), as an
/// operator expects from a fresh install; permissions problems surface here, before binding.
/// A directory pmtad needs could not be created: restarting cannot help until the operator
/// fixes the path or the permissions, so the run mode exits with
/// [`crate::cli::EXIT_CANTCREAT`] (the unit's `RestartPreventExitStatus` names it).
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot create {}: {source} (relative paths in the config are relative to its \
     directory; an installed system uses absolute ones, see contrib/pmta.conf)",
    path.display()
)]
pub struct CreateDirError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A file of the configuration (spool, log, accounting, control socket) that pmtad may not
/// create or write: permission denied or a read-only file system. Like [`CreateDirError`],
/// restarting cannot help, so it exits with [`crate::cli::EXIT_CANTCREAT`] too.
#[derive(Debug, thiserror::Error)]
#[error(
    "a file of the configuration cannot be created or written (check the owner and mode of its paths for pmtad's user)"
)]
pub struct UnwritableError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl UnwritableError {
    /// `e` as an [`UnwritableError`] when an I/O error in its chain is a permission or
    /// read-only refusal; otherwise `e` unchanged.
    pub fn classify(e: anyhow::Error) -> anyhow::Error {
        let refused = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                )
            })
        });
        if refused {
            anyhow::Error::new(UnwritableError(e.into()))
        } else {
            e
        }
    }
}

/// Creates every directory the config writes into (spool, logs, accounting, socket).
pub(crate) fn create_dirs(cfg: &config::Config) -> Result<(), CreateDirError> {
    let mut dirs = vec![cfg.spool_dir().to_path_buf()];
    dirs.extend(cfg.log_file.parent().map(Path::to_path_buf));
    dirs.extend(
        cfg.log_domain
            .as_deref()
            .and_then(|p| Path::new(p).parent())
            .map(Path::to_path_buf),
    );
    dirs.extend(
        cfg.acct_files
            .iter()
            .filter(|f| f.pipe.is_none())
            .filter_map(|f| f.path.parent())
            .map(Path::to_path_buf),
    );
    dirs.extend(cfg.control_socket.parent().map(Path::to_path_buf));
    for d in dirs.iter().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|source| CreateDirError {
            path: d.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Recipients of `env` not final yet.
fn pending(env: &Envelope) -> usize {
    env.recipients
        .iter()
        .filter(|r| r.state == crate::envelope::RcptState::Pending)
        .count()
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn system_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The fleet this node joins with `cluster-redis-url`, named by `cluster-node-id`, else the
/// `host-name`, else the system's. Only the URL is checked here: Redis may be down.
fn join_cluster(
    cfg: &config::Config,
    logs: &LogSink,
) -> anyhow::Result<Option<Arc<crate::cluster::Cluster>>> {
    let Some(url) = &cfg.cluster.redis_url else {
        return Ok(None);
    };
    let node = (cfg.cluster.node_id.clone())
        .or_else(|| cfg.host_name.clone())
        .unwrap_or_else(system_host_name);
    let url = config::redact_url(url);
    let cluster = crate::cluster::Cluster::new(&cfg.cluster, node, logs.clone())
        .map_err(|e| anyhow::anyhow!("cluster-redis-url {url}: {e}"))?;
    cluster.set_fallback(cfg.cluster.fallback);
    logs.event(format_args!(
        "cluster: node {} of the fleet at {url}",
        cluster.node()
    ));
    Ok(Some(cluster))
}

/// Build the shared state from a loaded config: open the spool (recovering every message),
/// start accounting and logs.
pub fn start(config_path: &Path, cfg: config::Config) -> anyhow::Result<Arc<Shared>> {
    create_dirs(&cfg)?;
    let policies = Policies::new(cfg)?;
    let cfg = &policies.config;
    let acct_cfg = policies.acct.clone();
    if let Err(errs) = crate::acct::check(&acct_cfg) {
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        anyhow::bail!("{}", text.join("\n"));
    }
    let logs = LogSink::open(&crate::logs::log_options(cfg))?;
    let acct = Accounting::start(&acct_cfg)?;
    let spool_opts = crate::spool::SpoolOptions {
        completion_sync_delay: cfg.completion_sync_delay,
        body_cache_bytes: cfg.body_cache_size,
        ..Default::default()
    };
    let (spool, recovered) = Spool::open(cfg.spool_dir(), spool_opts)?;
    let resolver = Resolver::new(&cfg.name_servers)?;
    let inbound_tls = crate::inbound::tls::from_config(cfg)
        .map_err(|e| anyhow::anyhow!("smtp-server-tls-certificate: {e}"))?;
    let mut state = State::default();
    for rule in PauseFile::in_spool(cfg.spool_dir()).load()? {
        state.index.load_rule(rule.action, rule.pattern);
    }
    let now = crate::logs::clock::now_secs();
    let jobs = jobs::Jobs::default();
    for job in pauses::PausedJobsFile::in_spool(cfg.spool_dir()).load()? {
        jobs.pause(&job);
    }
    for m in &recovered {
        // A paused job's mail stays held, out of the queues, until `resume job`.
        if jobs::note_received(&jobs, m.id, &m.envelope) {
            continue;
        }
        let State { index, routes, .. } = &mut state;
        index.insert_routed(m.id, &m.envelope, None, now, |d| {
            route(&policies, routes, d, &m.envelope.vmta)
        });
    }
    let warmup = Warmup::open(cfg.spool_dir())?;
    let returnpath = crate::returnpath::ReturnPath::new(cfg.spool_dir().to_path_buf());
    let cluster = join_cluster(cfg, &logs)?;
    let policies = Arc::new(policies);
    let shared = Arc::new(Shared {
        config_path: config_path.to_path_buf(),
        policies: ArcSwap::new(policies),
        resolver: ArcSwap::from_pointee(resolver),
        inbound_tls: crate::inbound::tls::TlsSlot::new(inbound_tls),
        spool,
        state: Mutex::new(state),
        wake: Notify::new(),
        acct,
        logs,
        counters: Counters::default(),
        jobs,
        warmup,
        returnpath,
        space: SpoolSpace::default(),
        metrics: crate::metrics::DaemonMetrics::default(),
        reloads: tokio::sync::watch::Sender::new(0),
        started: SystemTime::now(),
        shutdown: CancellationToken::new(),
        cluster,
    });
    shared.logs.event(format!(
        "pmtad started, {} messages recovered from the spool",
        recovered.len()
    ));
    Ok(shared)
}
