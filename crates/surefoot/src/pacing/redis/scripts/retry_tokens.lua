-- The retry budget of one key and host: a token bucket that refills only by refunds.
-- KEYS[1] the bucket (a number; missing = full)
-- ARGV[1] op: 'take' | 'refund' | 'read'; ARGV[2] cost or refund; ARGV[3] capacity;
-- ARGV[4] ms an untouched bucket is kept (it then starts full again)
-- Returns: take -> 1 (taken) or 0 (not enough, nothing taken); refund -> the new count;
-- read -> the count. Counts never exceed the capacity (a lowered capacity cuts them).
local cap = tonumber(ARGV[3])
local n = tonumber(redis.call('GET', KEYS[1]) or ARGV[3]) or cap
if n > cap then n = cap end
local op = ARGV[1]
local amount = tonumber(ARGV[2])
if op == 'read' then
  return n
end
if op == 'refund' then
  n = math.min(n + amount, cap)
  redis.call('SET', KEYS[1], n, 'PX', ARGV[4])
  return n
end
if n >= amount then
  redis.call('SET', KEYS[1], n - amount, 'PX', ARGV[4])
  return 1
end
redis.call('SET', KEYS[1], n, 'PX', ARGV[4])
return 0
