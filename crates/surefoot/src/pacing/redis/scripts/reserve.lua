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
-- ARGV[9] when this process's requests decided locally during an outage and not yet sent
--         are due: microseconds from now, comma-separated ('' for none)
-- KEYS[6] until when (us) the schedule was left to requests decided locally (set by the
--         first process back from an outage the whole fleet had)
-- Those of them due among the slots the fleet was already handed (before the schedule's
-- time less the burst tolerance) and not in a stretch left to local decisions are booked on
-- top; the schedule then resumes no earlier than an interval after the last of them (with
-- no burst credit), and that stretch is marked as left to local decisions, so a process
-- back later books only its requests the schedule had not left to them.
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
local handed = tat - tau
local floor = now + tonumber(ARGV[7])
local left_until = nil
if tat < floor then
  tat = floor
end
if ARGV[9] ~= '' then
  local left = tonumber(redis.call('GET', KEYS[6]) or '0') or 0
  local last, on_top = now, 0
  for us in string.gmatch(ARGV[9], '%d+') do
    local at = now + tonumber(us)
    if at < handed and at >= left then on_top = on_top + 1 end
    if at > last then last = at end
  end
  tat = tat + on_top * interval
  if last + interval + tau > tat then
    tat = last + interval + tau
    left_until = math.max(left, last)
  end
end
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
if left_until then
  redis.call('SET', KEYS[6], string.format('%.0f', left_until), 'PX',
    math.floor((left_until - now) / 1000) + 10000)
end
-- The key vanishes a second after its schedule has caught up with the clock.
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX',
  math.floor((next_tat - now) / 1000) + 1000)
return {0, wait, '', processes, state, age}
