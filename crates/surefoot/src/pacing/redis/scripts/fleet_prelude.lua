-- Prepended to the scripts that take part in learning together (reserve, paused,
-- throttled): count the answers a process saw accepted since its last decision on the
-- key (hash: 100-ms bucket -> count, the last 10 s), and read the fleet's learning state.
local function count_accepted(acc_key, now, accepted)
  if accepted > 0 then
    local bucket = math.floor(now / 100000)
    redis.call('HINCRBY', acc_key, bucket, accepted)
    redis.call('HDEL', acc_key, bucket - 100, bucket - 101, bucket - 102, bucket - 103)
    redis.call('PEXPIRE', acc_key, 11000)
  end
end
-- The fleet's learning state (hash: state, at = microseconds when written) and its age.
local function fleet_state(fleet_key, now)
  local fleet = redis.call('HMGET', fleet_key, 'state', 'at')
  if not fleet[2] then return '', 0 end
  return fleet[1] or '', now - tonumber(fleet[2])
end
