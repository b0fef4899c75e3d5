-- Take one of ARGV[1] concurrency slots as a lease of ARGV[2] ms, named ARGV[3].
-- KEYS[1] the slots (sorted set: slot id -> lease expiry, ms on the Redis clock)
-- Returns 1 when taken, 0 when every slot is held.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return 1
end
return 0
