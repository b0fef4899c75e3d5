-- Extend the lease of slot ARGV[1] by ARGV[2] ms from now, if it is still held.
-- KEYS[1] the slots (sorted set: slot id -> lease expiry, ms on the Redis clock)
-- Returns 1 when renewed, 0 when the lease had expired or was released.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0') or 0
if expiry > now then
  redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[1])
  if redis.call('PTTL', KEYS[1]) < lease * 2 then
    redis.call('PEXPIRE', KEYS[1], lease * 2)
  end
  return 1
end
return 0
