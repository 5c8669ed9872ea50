//! The Lua scripts run atomically in Redis, and the key names they use.
//!
//! Every key carries the hash tag `{pmtad}` so the scripts that touch several keys also run
//! on a Redis Cluster (all keys in one slot). Times are the server's (`TIME`), so the nodes'
//! clocks need not agree.

/// The sorted set of nodes: member = node id, score = last heartbeat (ms).
pub const NODES_KEY: &str = "pmtad:{pmtad}:nodes";
/// The set of fleet-wide pause patterns (`pause queue PATTERN --cluster`).
pub const PAUSED_KEY: &str = "pmtad:{pmtad}:paused";
/// Hash: queue -> the `cluster-max-smtp-out` the last lease taken for it had.
pub const LIMITS_KEY: &str = "pmtad:{pmtad}:limits";

/// The lease set of a queue's `cluster-max-smtp-out`.
pub fn lease_key(queue: &str) -> String {
    format!("pmtad:{{pmtad}}:smtp-out:{queue}")
}

/// What a node's last heartbeat said about it (version, queues, connections).
pub fn node_key(node: &str) -> String {
    format!("pmtad:{{pmtad}}:node:{node}")
}

/// KEYS[1] lease set, KEYS[2] limits hash; ARGV member, limit, ttl (ms), queue. Drops
/// expired leases, then adds the member if fewer than `limit` remain. Returns 1 or 0.
pub const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1
";

/// KEYS[1] nodes set, KEYS[2] this node's hash, KEYS[3] paused set, KEYS[4..] lease sets;
/// ARGV[1] node id, ARGV[2] ttl (ms), ARGV[3] version, ARGV[4] queues, ARGV[5] connections,
/// then per lease its member and limit. Records the heartbeat, forgets nodes silent for an
/// hour, renews each lease (one that expired meanwhile is taken again if the fleet is under
/// its limit, else counted as lost). Returns {nodes alive within 3 ttl, lost, paused}.
pub const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000)
redis.call('HSET', KEYS[2], 'version', ARGV[3], 'queues', ARGV[4], 'connections', ARGV[5])
redis.call('PEXPIRE', KEYS[2], 3600000)
local lost = 0
for i = 4, #KEYS do
  local member = ARGV[2 * i - 2]
  local limit = tonumber(ARGV[2 * i - 1])
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
local alive = redis.call('ZCOUNT', KEYS[1], now - 3 * ttl, '+inf')
return {alive, lost, redis.call('SMEMBERS', KEYS[3])}
";

/// KEYS[1] nodes set, KEYS[2] limits hash; ARGV[1] ttl (ms). Everything `show cluster`
/// lists, read at one instant: {now, {node, last beat, version, queues, connections}...},
/// {queue, limit, {live lease members}}...
pub const STATUS: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nodes = {}
local list = redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #list, 2 do
  local h = redis.call('HMGET', 'pmtad:{pmtad}:node:' .. list[i], 'version', 'queues', 'connections')
  table.insert(nodes, {list[i], list[i + 1], h[1] or '', h[2] or '0', h[3] or '0'})
end
local limits = {}
local l = redis.call('HGETALL', KEYS[2])
for i = 1, #l, 2 do
  local key = 'pmtad:{pmtad}:smtp-out:' .. l[i]
  local live = redis.call('ZRANGEBYSCORE', key, now, '+inf')
  table.insert(limits, {l[i], l[i + 1], live})
end
return {tostring(now), nodes, limits}
";

/// The GCRA state of a queue's `cluster-max-msg-rate` (`kind` "msg-rate") or
/// `cluster-max-connect-rate` ("connect-rate"): the theoretical arrival time in µs.
pub fn rate_key(kind: &str, queue: &str) -> String {
    format!("pmtad:{{pmtad}}:{kind}:{queue}")
}

/// KEYS[1] the rate's GCRA state; ARGV want, least, interval (µs, may be fractional), burst.
/// A GCRA over the whole fleet: the theoretical arrival time (TAT) advances one interval per
/// token granted and may run at most `burst - 1` intervals ahead of now. Grants up to `want`
/// tokens that fit now; when even one fits, grants at least `least` (the recipients of one
/// transaction: the debt delays the next grants, so the long-run rate holds). Returns
/// {granted, 0} or {0, µs to wait before one token fits}. Microseconds of the server's TIME
/// (exact in a Lua double for centuries), so high rates keep their precision.
pub const RATE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local want = tonumber(ARGV[1])
local least = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local ahead = (burst - 1) * interval
local fits = math.floor((now + ahead - tat) / interval) + 1
if fits < 1 then
  return {0, math.ceil(tat - ahead - now)}
end
local grant = math.min(want, fits)
if grant < least then grant = least end
tat = tat + grant * interval
local ttl = math.ceil((tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttl)
return {grant, 0}
";
