-- The pause in force on a key, and the fleet's learning state: {microseconds left (0:
-- none), cause, learned state, its age (us)}.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
-- KEYS[2] the fleet's learning state (hash: state, at = microseconds when written)
-- KEYS[3] answers accepted on the key (hash: 100-ms bucket -> count)
-- ARGV[1] answers this process saw accepted since its last decision on the key
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
count_accepted(KEYS[3], now, tonumber(ARGV[1] or '0'))
local state, age = fleet_state(KEYS[2], now)
local left, cause = 0, ''
local pause = redis.call('HMGET', KEYS[1], 'until', 'cause')
if pause[1] then
  local until_us = tonumber(pause[1])
  if until_us and until_us > now then
    left, cause = until_us - now, pause[2] or ''
  end
end
return {left, cause, state, age}
