-- One acquisition, atomically: the demands of one call or batch against exact sliding windows, all or nothing.
-- KEYS: the distinct counter keys of the acquisition (one sorted set each: a member per admitted unit, scored by its
--       time in ms); they share a hash tag, so the script also runs on Redis Cluster.
-- ARGV: now ("" = this server's clock), consume (1|0), nonce (unique per acquisition, names the recorded members),
--       the number of demands, then per demand its number of counters and per counter: key index, window ms, max.
-- Returns: { now, then per demand: kind (0 admitted, 1 exhausted), refusing counter index (0-based), retry-at ms }.
local now = ARGV[1]
if now == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(now)
end
local consume = ARGV[2] == '1'
local nonce = ARGV[3]
local demands = tonumber(ARGV[4])

local function ms(x)
  return string.format('%.0f', x)
end

local newest = {}   -- key index -> newest recorded time, false when the key holds nothing
local taken = {}    -- key index -> units earlier fitting demands of this acquisition take
local windows = {}  -- key index -> window ms

local function newestOf(k)
  if newest[k] == nil then
    local top = redis.call('ZREVRANGE', KEYS[k], 0, 0, 'WITHSCORES')
    newest[k] = top[2] and tonumber(top[2]) or false
  end
  return newest[k]
end

-- nil when `units` more at `now` keep every window within max, else the earliest time they could be admitted
local function blockedUntil(k, window, max, units)
  if units > max then
    return now + window
  end
  local last = newestOf(k)
  if not last then
    return nil
  end
  local key = KEYS[k]
  local pivot = function()
    local p = redis.call('ZREVRANGE', key, max - units, max - units, 'WITHSCORES')
    return p[2] and tonumber(p[2]) or nil
  end
  if now >= last then
    local inWindow = redis.call('ZCOUNT', key, '(' .. ms(now - window), '+inf')
    if inWindow + units <= max then
      return nil
    end
    return pivot() + window
  end
  -- stamped earlier than the newest admission (clocks or callers raced): count every window around now
  local p = pivot()
  local retryAt = p and math.max(p + window, now + 1) or now + 1
  if now < last - window then
    return retryAt -- older than anything trimmed keeps: refuse, fail closed
  end
  local near = redis.call('ZCOUNT', key, '(' .. ms(now - window), '(' .. ms(now + window))
  if near + units <= max then
    return nil
  end
  return retryAt
end

local result = { now }
local allFit = true
local at = 5
for _ = 1, demands do
  local n = tonumber(ARGV[at])
  at = at + 1
  local worst, worstAt = -1, nil
  local keys = {}
  for j = 0, n - 1 do
    local k, window, max = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    at = at + 3
    windows[k] = window
    keys[#keys + 1] = k
    local until_ = blockedUntil(k, window, max, (taken[k] or 0) + 1)
    if until_ and (worstAt == nil or until_ > worstAt) then
      worst, worstAt = j, until_
    end
  end
  if worst >= 0 then
    allFit = false
    result[#result + 1] = 1
    result[#result + 1] = worst
    result[#result + 1] = ms(worstAt)
  else
    for _, k in ipairs(keys) do
      taken[k] = (taken[k] or 0) + 1
    end
    result[#result + 1] = 0
    result[#result + 1] = 0
    result[#result + 1] = 0
  end
end

if allFit and consume then
  for k, units in pairs(taken) do
    local key, window = KEYS[k], windows[k]
    for u = 1, units do
      redis.call('ZADD', key, now, nonce .. ':' .. k .. ':' .. u)
    end
    local last = math.max(newestOf(k) or now, now)
    -- admissions two windows older than the newest decide nothing (later calls that old are refused above)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', ms(last - 2 * window))
    -- idle keys expire by themselves once no decision can need them
    redis.call('PEXPIRE', key, ms(last - now + 2 * window))
  end
end
result[1] = ms(now)
return result
