-- The pause in force on a key: {microseconds left, cause} or {0, ''}.
-- KEYS[1] the pause (hash: until = microseconds, cause = JSON)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = redis.call('HMGET', KEYS[1], 'until', 'cause')
if pause[1] then
  local until_us = tonumber(pause[1])
  if until_us and until_us > now then
    return {until_us - now, pause[2] or ''}
  end
end
return {0, ''}
