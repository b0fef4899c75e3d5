-- One pacing decision for one key, atomically, on the Redis clock.
-- KEYS[1] the GCRA theoretical arrival time (string, microseconds)
-- KEYS[2] the pause (hash: until = microseconds, cause = JSON)
-- KEYS[3] the processes active on the key (sorted set: process id -> last seen, us)
-- ARGV[1] emission interval (us)   ARGV[2] burst tolerance tau (us)
-- ARGV[3] restart gap (us)         ARGV[4] longest acceptable wait (us), -1 for none
-- ARGV[5] this process's id        ARGV[6] how long a process counts as active (ms)
-- ARGV[7] the least the schedule must stand ahead of now (us): after this process paced
--         the key locally during an outage, no burst credit (the server's burst may be
--         spent); 0 otherwise
-- KEYS[4] the fleet's learning state (hash: state, at = microseconds when written)
-- KEYS[5] answers accepted on the key (hash: 100-ms bucket -> count)
-- ARGV[8] answers this process saw accepted since its last decision on the key
-- ARGV[9] the schedule's time (us) this process's requests decided locally during an
--         outage and not yet sent take (their count x the emission interval): booked
--         after the floor, so the fleet's requests and those add up to the limit
-- Returns {verdict, microseconds, cause, processes, learned state, its age (us)}:
-- verdict 0 = go after the wait, 1 = the wait is too long (nothing reserved),
-- 2 = paused for that long.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window_ms = tonumber(ARGV[6])
redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window_ms * 1000)
redis.call('PEXPIRE', KEYS[3], window_ms)
local processes = redis.call('ZCARD', KEYS[3])
count_accepted(KEYS[5], now, tonumber(ARGV[8]))
local state, age = fleet_state(KEYS[4], now)
local pause = redis.call('HMGET', KEYS[2], 'until', 'cause')
if pause[1] then
  local until_us = tonumber(pause[1])
  if until_us and until_us > now then
    return {2, until_us - now, pause[2] or '', processes, state, age}
  end
end
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local floor = now + tonumber(ARGV[7])
if tat < floor then
  tat = floor
end
tat = tat + (tonumber(ARGV[9]) or 0)
local gap = 0
if tat <= now then
  gap = tonumber(ARGV[3])
  tat = now
end
local wait = tat - tau - now
if wait < 0 then wait = 0 end
local max_wait = tonumber(ARGV[4])
if max_wait >= 0 and wait > max_wait then
  return {1, wait, '', processes, state, age}
end
local next_tat = tat + interval + gap
-- The key vanishes a second after its schedule has caught up with the clock.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX',
  math.floor((next_tat - now) / 1000) + 1000)
return {0, wait, '', processes, state, age}
