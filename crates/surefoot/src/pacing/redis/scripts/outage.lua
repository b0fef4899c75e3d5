-- A host's outage shared by every process on one Redis: when it began, the one probe in
-- flight, and when the next probe is due; the first success ends it for everyone.
-- KEYS[1] the outage (hash: since = ms on the Redis clock, status = the failure's HTTP
--         status or 0, next = ms before which no probe goes out)
-- KEYS[2] the probe's turn (string: the holder's process id, with the lease as expiry)
-- ARGV[1] op: 'begin' | 'since' | 'probe' | 'failed' | 'end'
-- ARGV[2] begin: the status (0 = connection failure); probe: the lease (ms);
--         failed: the first wait between probes (ms), doubled with each failed probe
-- ARGV[3] the process id (probe, failed); ARGV[4] ms an outage untouched is kept;
-- ARGV[5] failed: the longest wait between probes (ms)
-- Returns: begin, since -> {ms since it began, status} (since: {-1, 0} when none);
--          probe -> {0, 0} granted, {1, ms} ask again after ms, {2, 0} over;
--          failed, end -> {1, 0}
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local keep = tonumber(ARGV[4])
if op == 'end' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {1, 0}
end
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '-1') or -1
if op == 'begin' then
  if since < 0 then
    since = now
    redis.call('HSET', KEYS[1], 'since', string.format('%.0f', now), 'status', ARGV[2],
      'next', string.format('%.0f', now))
  end
  redis.call('PEXPIRE', KEYS[1], keep)
  return {now - since, tonumber(redis.call('HGET', KEYS[1], 'status') or '0') or 0}
end
if op == 'since' then
  if since < 0 then return {-1, 0} end
  return {now - since, tonumber(redis.call('HGET', KEYS[1], 'status') or '0') or 0}
end
if since < 0 then
  return {2, 0}
end
if op == 'failed' then
  if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
  local failed = redis.call('HINCRBY', KEYS[1], 'failed', 1)
  local gap = math.min(tonumber(ARGV[2]) * 2 ^ math.min(failed, 16), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[1], 'next', string.format('%.0f', now + gap))
  redis.call('PEXPIRE', KEYS[1], keep)
  return {1, 0}
end
-- probe
local held = redis.call('PTTL', KEYS[2])
if held > 0 then return {1, held} end
local next = tonumber(redis.call('HGET', KEYS[1], 'next') or '0') or 0
if next > now then return {1, next - now} end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
return {0, 0}
