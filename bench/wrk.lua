-- Driven by bench/wrk.mts through the environment: WRK_REQUESTS requests, the
-- i-th from WRK_<i>_METHOD, _PATH, _HEADERS (one "name: value" a line) and
-- _BODY, sent in turn; at the end, one JSON line with the figures.
local requests = {}
local turn = 0

-- In init, not when the script loads: wrk.format takes the Host header from
-- wrk.headers, which wrk.init fills just before it calls this.
init = function()
  for i = 1, tonumber(os.getenv("WRK_REQUESTS")) do
    local function field(name) return os.getenv("WRK_" .. i .. "_" .. name) end
    local headers = {}
    for name, value in string.gmatch(field("HEADERS") or "", "([^:\n]+):%s*([^\n]*)") do
      headers[name] = value
    end
    requests[i] = wrk.format(field("METHOD"), field("PATH"), headers, field("BODY"))
  end
end

request = function()
  turn = turn % #requests + 1
  return requests[turn]
end

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
