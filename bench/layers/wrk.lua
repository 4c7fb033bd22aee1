-- Driven by bench/api.mts through the environment: the method, path, headers
-- and bodies (separated by a newline; requests cycle through them), and one
-- JSON line with the figures at the end.
local method = os.getenv("WRK_METHOD") or "GET"
local path = os.getenv("WRK_PATH") or "/"
local headers = {}
for name, value in string.gmatch(os.getenv("WRK_HEADERS") or "", "([^:\n]+):%s*([^\n]*)") do
  headers[name] = value
end
local bodies = {}
for body in string.gmatch(os.getenv("WRK_BODIES") or "", "[^\n]+") do
  table.insert(bodies, body)
end
local count = 0

request = function()
  count = count + 1
  local body = nil
  if #bodies > 0 then body = bodies[(count % #bodies) + 1] end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"socketErrors":%d,"timeouts":%d,"non2xx":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
