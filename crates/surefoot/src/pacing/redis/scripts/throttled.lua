-- Pause a key (keeping the later pause), count this process's accepted answers, and,
-- for a 429 that learns (an episode length above 0), open a new overload episode unless
-- one is running: one decrease per episode for the whole fleet.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
-- KEYS[2] the episode (string, expires when the episode ends)
-- KEYS[3] answers accepted on the key (hash: 100-ms bucket -> count)
-- ARGV[1] the pause (us)   ARGV[2] its cause as JSON ('' when unknown)
-- ARGV[3] the episode's length (ms); 0: a pause only (a configured limit, or a quota
--         the headers said is used up)
-- ARGV[4] answers this process saw accepted since its last decision on the key
-- Returns {1, ago_ms, count, ago_ms, count, ...} (the accepted answers of the last 10 s,
-- by 100-ms bucket, each dated at its bucket's start: no answer is counted in a span that
-- began after it, so the rate measured on them is never above the rate accepted) when
-- this 429 opened the episode, {0} otherwise.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local duration = tonumber(ARGV[1])
local until_us = now + duration
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0') or 0
if until_us > current then
  redis.call('HSET', KEYS[1], 'until', string.format('%.0f', until_us), 'cause', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.floor(duration / 1000) + 1000)
end
count_accepted(KEYS[3], now, tonumber(ARGV[4]))
local episode_ms = tonumber(ARGV[3])
if episode_ms <= 0 or not redis.call('SET', KEYS[2], '1', 'NX', 'PX', episode_ms) then
  return {0}
end
local bucket = math.floor(now / 100000)
local out = {1}
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  local b = tonumber(all[i])
  if b < bucket - 100 then
    redis.call('HDEL', KEYS[3], all[i])
  else
    local ago = math.floor((now - b * 100000) / 1000)
    if ago < 0 then ago = 0 end
    table.insert(out, ago)
    table.insert(out, tonumber(all[i + 1]))
  end
end
return out
