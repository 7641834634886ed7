-- One wrk scenario: every request carries a token (or code) read from a file.
--
-- wrk ... -s scenario.lua URL -- METHOD PATH_TEMPLATE BODY_TEMPLATE TOKENS_FILE MODE THREADS
--   PATH_TEMPLATE / BODY_TEMPLATE: "{t}" is replaced by the token; BODY "-" means no body.
--   MODE "cycle": each thread loops over all tokens (lookups, static refresh grants).
--   MODE "walk":  thread i of n takes tokens i, i+n, i+2n, ... once each (single-use codes);
--                 when its share runs out it starts over, and the server's 400s show up as
--                 non-2xx responses in the summary (the harness reports them).
-- done() prints one line "BENCHJSON {...}" that the Python harness parses.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local method, path_t, body_t, mode, nthreads
local tokens = {}
local pos = 0
local step = 1
local headers = {}

local function fill(template, token)
  local i, j = string.find(template, "{t}", 1, true)
  if i == nil then return template end
  return string.sub(template, 1, i - 1) .. token .. string.sub(template, j + 1)
end

function init(args)
  method, path_t, body_t = args[1], args[2], args[3]
  local file = args[4]
  mode = args[5] or "cycle"
  nthreads = tonumber(args[6] or "1")
  for line in io.lines(file) do
    if #line > 0 then table.insert(tokens, line) end
  end
  if body_t == "-" then
    body_t = nil
  else
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  -- lookups start each thread at a different offset; walks interleave threads
  if mode == "walk" then
    pos = tid
    step = nthreads
  else
    pos = math.floor(#tokens * tid / nthreads)
    step = 1
  end
end

function request()
  local token = tokens[(pos % #tokens) + 1]
  pos = pos + step
  local body = nil
  if body_t ~= nil then body = fill(body_t, token) end
  return wrk.format(method, fill(path_t, token), headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
