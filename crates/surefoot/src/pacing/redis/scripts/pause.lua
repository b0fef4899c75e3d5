-- Pause a key for a while from now on the Redis clock, keeping the later pause.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
-- ARGV[1] the pause (us)   ARGV[2] its cause as JSON ('' when unknown)
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local duration = tonumber(ARGV[1])
local until_us = now + duration
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') or 0
if until_us > current then
  redis.call('HSET', KEYS[1], 'until', string.format('%.0f', until_us), 'cause', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.floor(duration / 1000) + 1000)
  return 1
end
return 0
