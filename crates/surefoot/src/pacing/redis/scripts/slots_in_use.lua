-- How many leases on a key's slots have not expired.
-- KEYS[1] the slots (sorted set: slot id -> lease expiry, ms on the Redis clock)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
