-- The fleet's learning state of a key: {state, its age (us)}, or {'', 0}.
-- KEYS[1] the fleet's learning state (hash: state, at = microseconds when written)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local fleet = redis.call('HMGET', KEYS[1], 'state', 'at')
if not fleet[2] then return {'', 0} end
return {fleet[1] or '', now - tonumber(fleet[2])}
