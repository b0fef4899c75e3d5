-- Record the fleet's learning state of a key, stamped with the Redis clock.
-- KEYS[1] the fleet's learning state (hash: state, at)
-- ARGV[1] the state   ARGV[2] how long it is kept (ms)
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
