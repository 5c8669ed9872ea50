//! The Redis side: one self-reconnecting connection and the scripts, each call bounded by
//! a timeout so a Redis that stopped answering turns into the fallback, never a stall of
//! the connection that asked.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, ClientTlsConfig, Script, TlsCertificates};

use super::scripts;

/// Longest wait for one Redis call.
const CALL_TIMEOUT: Duration = Duration::from_millis(800);

/// Why a Redis call did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("{0}")]
    Redis(#[from] redis::RedisError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{what} {path}: {source}")]
    File {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
}

/// What a heartbeat learnt.
#[derive(Debug, Clone)]
pub struct Beat {
    pub nodes: u32,
    pub lost: u32,
    /// The fleet-wide pause patterns.
    pub paused: Vec<String>,
}

/// What a node's heartbeat says about it besides being alive.
#[derive(Debug, Clone, Copy, Default)]
pub struct NodeStats {
    pub queues: u64,
    pub connections: u64,
}

/// One node as `show cluster` reads it: id, last beat (ms), version, queues, connections.
pub type NodeRow = (String, String, String, String, String);
/// One limit: queue, limit, live lease members.
pub type LimitRow = (String, String, Vec<String>);

pub struct Redis {
    conn: ConnectionManager,
    /// Round trips asked of Redis since start (`/metrics`: what the fleet costs Redis).
    calls: AtomicU64,
    acquire: Script,
    heartbeat: Script,
    status: Script,
    rate: Script,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects lazily (on the first call) and reconnects by itself after a failure; with
    /// `rediss://`, over TLS with the configured roots and client certificate.
    pub fn new(cfg: &config::Cluster) -> Result<Self, RedisError> {
        let url = cfg.redis_url.as_deref().unwrap_or_default();
        let client = client(url, cfg)?;
        let cfg = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(100))
            .set_max_delay(Duration::from_millis(500))
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT));
        Ok(Self {
            conn: ConnectionManager::new_lazy_with_config(client, cfg)?,
            calls: AtomicU64::new(0),
            acquire: Script::new(scripts::ACQUIRE),
            heartbeat: Script::new(scripts::HEARTBEAT),
            status: Script::new(scripts::STATUS),
            rate: Script::new(scripts::RATE),
        })
    }

    /// The connection for one round trip, counted.
    fn conn(&self) -> ConnectionManager {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.conn.clone()
    }

    /// Round trips asked so far (answered or not).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub async fn acquire(
        &self,
        key: &str,
        member: &str,
        limit: u32,
        ttl: Duration,
    ) -> Result<bool, RedisError> {
        let queue = key.strip_prefix(&scripts::lease_key("")).unwrap_or(key);
        let mut inv = self.acquire.key(key);
        inv.key(scripts::LIMITS_KEY);
        inv.arg(member).arg(limit).arg(ttl_ms(ttl)).arg(queue);
        let mut conn = self.conn();
        let granted: i64 = bounded(inv.invoke_async(&mut conn)).await?;
        Ok(granted == 1)
    }

    pub async fn release(&self, key: &str, member: &str) -> Result<(), RedisError> {
        let mut conn = self.conn();
        let cmd = redis::cmd("ZREM").arg(key).arg(member).to_owned();
        let _: i64 = bounded(cmd.query_async(&mut conn)).await?;
        Ok(())
    }

    /// `held` = (lease key, member, limit) of every lease this node holds.
    pub async fn heartbeat(
        &self,
        node: &str,
        stats: NodeStats,
        held: &[(String, String, u32)],
        ttl: Duration,
    ) -> Result<Beat, RedisError> {
        let mut inv = self.heartbeat.key(scripts::NODES_KEY);
        inv.key(scripts::node_key(node)).key(scripts::PAUSED_KEY);
        inv.arg(node)
            .arg(ttl_ms(ttl))
            .arg(env!("CARGO_PKG_VERSION"));
        inv.arg(stats.queues).arg(stats.connections);
        for (key, member, limit) in held {
            inv.key(key).arg(member).arg(*limit);
        }
        let mut conn = self.conn();
        let (nodes, lost, paused) = bounded(inv.invoke_async(&mut conn)).await?;
        Ok(Beat {
            nodes,
            lost,
            paused,
        })
    }

    /// Adds (`pause`) or removes a fleet-wide pause pattern; true if the set changed.
    pub async fn set_pause(&self, pattern: &str, pause: bool) -> Result<bool, RedisError> {
        let verb = if pause { "SADD" } else { "SREM" };
        let cmd = redis::cmd(verb)
            .arg(scripts::PAUSED_KEY)
            .arg(pattern)
            .to_owned();
        let mut conn = self.conn();
        let n: i64 = bounded(cmd.query_async(&mut conn)).await?;
        Ok(n > 0)
    }

    /// The fleet-wide pause patterns.
    pub async fn paused(&self) -> Result<Vec<String>, RedisError> {
        let cmd = redis::cmd("SMEMBERS").arg(scripts::PAUSED_KEY).to_owned();
        let mut conn = self.conn();
        bounded(cmd.query_async(&mut conn)).await
    }

    /// One round trip to a fleet-wide rate: `Ok(Ok(granted))` (>= `least`), or
    /// `Ok(Err(wait))` before one token fits.
    pub async fn take(
        &self,
        key: &str,
        want: u32,
        least: u32,
        interval_us: f64,
        burst: u32,
    ) -> Result<Result<u32, Duration>, RedisError> {
        let mut inv = self.rate.key(key);
        inv.arg(want).arg(least).arg(interval_us).arg(burst);
        let mut conn = self.conn();
        let (granted, wait_us): (u32, u64) = bounded(inv.invoke_async(&mut conn)).await?;
        Ok(match granted {
            0 => Err(Duration::from_micros(wait_us.max(1))),
            n => Ok(n),
        })
    }

    /// Everything `show cluster` lists, in one script: (server ms, nodes, limits).
    pub async fn status(&self) -> Result<(String, Vec<NodeRow>, Vec<LimitRow>), RedisError> {
        let mut inv = self.status.key(scripts::NODES_KEY);
        inv.key(scripts::LIMITS_KEY);
        let mut conn = self.conn();
        bounded(inv.invoke_async(&mut conn)).await
    }
}

/// The client for `url`: plain, or TLS with the `cluster-redis-*-file`s read now (a file
/// that cannot be read stops the start, not the first heartbeat).
fn client(url: &str, cfg: &config::Cluster) -> Result<Client, RedisError> {
    if !config::is_tls_url(url) {
        return Ok(Client::open(url)?);
    }
    let root_cert = read(cfg.redis_ca_file.as_deref(), "cluster-redis-ca-file")?;
    let cert = read(cfg.redis_cert_file.as_deref(), "cluster-redis-cert-file")?;
    let key = read(cfg.redis_key_file.as_deref(), "cluster-redis-key-file")?;
    let client_tls = cert
        .zip(key)
        .map(|(client_cert, client_key)| ClientTlsConfig {
            client_cert,
            client_key,
        });
    let certs = TlsCertificates {
        client_tls,
        root_cert,
    };
    Ok(Client::build_with_tls(url, certs)?)
}

fn read(path: Option<&Path>, what: &'static str) -> Result<Option<Vec<u8>>, RedisError> {
    let Some(path) = path else { return Ok(None) };
    std::fs::read(path)
        .map(Some)
        .map_err(|source| RedisError::File {
            what,
            path: path.display().to_string(),
            source,
        })
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)
}

async fn bounded<T>(
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, RedisError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(RedisError::Timeout(CALL_TIMEOUT)),
    }
}
