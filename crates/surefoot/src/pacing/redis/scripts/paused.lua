-- The pause in force on a key, and the fleet's learning state: {microseconds left (0:
-- none), cause, learned state, its age (us)}.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
-- KEYS[2] the fleet's learning state (hash: state, at = microseconds when written)
-- KEYS[3] answers accepted on the key (hash: 100-ms bucket -> count)
-- ARGV[1] answers this process saw accepted since its last decision on the key
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local accepted = tonumber(ARGV[1] or '0')
if accepted > 0 then
  local bucket = math.floor(now / 100000)
  redis.call('HINCRBY', KEYS[3], bucket, accepted)
  redis.call('HDEL', KEYS[3], bucket - 100, bucket - 101, bucket - 102, bucket - 103)
  redis.call('PEXPIRE', KEYS[3], 11000)
end
local fleet = redis.call('HMGET', KEYS[2], 'state', 'at')
local state, age = fleet[1] or '', 0
if fleet[2] then age = now - tonumber(fleet[2]) end
local left, cause = 0, ''
local pause = redis.call('HMGET', KEYS[1], 'until', 'cause')
if pause[1] then
  local until_us = tonumber(pause[1])
  if until_us and until_us > now then
    left, cause = until_us - now, pause[2] or ''
  end
end
return {left, cause, state, age}
