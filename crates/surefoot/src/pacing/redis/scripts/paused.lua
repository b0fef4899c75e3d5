-- The pause in force on a key, and the fleet's learning state: {microseconds left (0:
-- none), cause, learned state, its age (us), start window wait (us, 0: none)}.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
-- KEYS[2] the fleet's learning state (hash: state, at = microseconds when written)
-- KEYS[3] answers accepted on the key (hash: 100-ms bucket -> count)
-- ARGV[1] answers this process saw accepted since its last decision on the key
-- With ARGV[2] = '1', a decision to send on a key nothing paces yet, in the fleet's start
-- window (the rule of pacing/start.rs): at most first x 2^(t / doubling) requests beyond
-- the answers accepted since the key's first decision t ago, none counted once that
-- reaches `open`; a key with a learning state has no window.
-- KEYS[4] the start window (hash: at, last = microseconds, sent, acc, open)
-- ARGV[3] first   ARGV[4] doubling (us)   ARGV[5] open   ARGV[6] idle (ms: forgotten)
-- ARGV[7] the longest wait before asking again (us)
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local accepted = tonumber(ARGV[1] or '0')
count_accepted(KEYS[3], now, accepted)
local state, age = fleet_state(KEYS[2], now)
local left, cause = 0, ''
local pause = redis.call('HMGET', KEYS[1], 'until', 'cause')
if pause[1] then
  local until_us = tonumber(pause[1])
  if until_us and until_us > now then
    left, cause = until_us - now, pause[2] or ''
  end
end
local wait = 0
if ARGV[2] == '1' and left == 0 and state == '' then
  local s = redis.call('HMGET', KEYS[4], 'at', 'sent', 'acc', 'open')
  local at, sent, acc = tonumber(s[1]), tonumber(s[2]) or 0, (tonumber(s[3]) or 0) + accepted
  if not at then at, sent, acc = now, 0, 0 end
  if s[4] ~= '1' then
    local first, doubling, open = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
    local allowed = first * 2 ^ ((now - at) / doubling) + acc
    if allowed >= open then
      redis.call('HSET', KEYS[4], 'open', '1')
    elseif sent + 1 <= allowed then
      sent = sent + 1
    else
      -- When time alone lets one more out; asked again within the longest wait.
      local due = at + doubling * math.log((sent + 1 - acc) / first) / math.log(2)
      wait = math.min(math.max(due - now, 1000), tonumber(ARGV[7]))
    end
    redis.call('HSET', KEYS[4], 'at', string.format('%.0f', at), 'sent', sent, 'acc', acc)
  end
  redis.call('PEXPIRE', KEYS[4], tonumber(ARGV[6]))
end
return {left, cause, state, age, math.floor(wait)}
