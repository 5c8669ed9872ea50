//! The Lua scripts run atomically in Redis, and the key names they use.
//!
//! Every key carries the hash tag `{pmtad}` so the scripts that touch several keys also run
//! on a Redis Cluster (all keys in one slot). Times are the server's (`TIME`), so the nodes'
//! clocks need not agree.

/// The sorted set of live nodes: member = node id, score = last heartbeat (ms).
pub const NODES_KEY: &str = "pmtad:{pmtad}:nodes";

/// The lease set of a queue's `cluster-max-smtp-out`.
pub fn lease_key(queue: &str) -> String {
    format!("pmtad:{{pmtad}}:smtp-out:{queue}")
}

/// KEYS[1] lease set; ARGV member, limit, ttl (ms). Drops expired leases, then adds the
/// member if fewer than `limit` remain. Returns 1 (granted) or 0.
pub const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1
";

/// KEYS[1] nodes set, KEYS[2..] lease sets; ARGV[1] node id, ARGV[2] ttl (ms), then per
/// lease its member and limit. Records the heartbeat, forgets nodes silent for an hour,
/// renews each lease (one that expired meanwhile is taken again if the fleet is under its
/// limit, else counted as lost). Returns {nodes alive within 3 ttl, lost}.
pub const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000)
local lost = 0
for i = 2, #KEYS do
  local member = ARGV[2 * i - 1]
  local limit = tonumber(ARGV[2 * i])
  if redis.call('ZSCORE', KEYS[i], member) then
    redis.call('ZADD', KEYS[i], now + ttl, member)
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    if redis.call('ZCARD', KEYS[i]) < limit then
      redis.call('ZADD', KEYS[i], now + ttl, member)
    else
      lost = lost + 1
    end
  end
  redis.call('PEXPIRE', KEYS[i], ttl * 2)
end
return {redis.call('ZCOUNT', KEYS[1], now - 3 * ttl, '+inf'), lost}
";
