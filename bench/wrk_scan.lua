-- wrk script for bench/scan_compare.py --driver wrk: POST desk scans of
-- distinct codes, check every answer, and report every latency quantile.
--   WRK_CODES   file with one code per line (each scanned at most once)
--   WRK_TOKENS  file with one API token per line (requests take turns)
--   WRK_PATH    endpoint to POST to
--   WRK_EVENT   the codes' event id (every scan names its event)
--   WRK_THREADS the -t given to wrk (thread k takes lines k, k+n, ...)
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS"))
  codes = {}
  local i = 0
  for line in io.lines(os.getenv("WRK_CODES")) do
    if i % n == tid then codes[#codes + 1] = line end
    i = i + 1
  end
  tokens = {}
  for line in io.lines(os.getenv("WRK_TOKENS")) do tokens[#tokens + 1] = line end
  path = os.getenv("WRK_PATH")
  event = os.getenv("WRK_EVENT")
  idx = 0
  bad = 0
  exhausted = 0
end

function request()
  idx = idx + 1
  local code = codes[idx]
  if code == nil then
    -- Out of codes: repeat the last one; its answer (changed: false) counts
    -- as an error, so a run that ran dry says so.
    exhausted = exhausted + 1
    code = codes[#codes]
  end
  local body = '{"code":"' .. code .. '","mode":"desk","event":' .. event .. '}'
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(idx % #tokens) + 1],
  }, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"changed":true', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total, dry = 0, 0
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    dry = dry + t:get("exhausted")
  end
  local q = {}
  for i = 1, 999 do q[#q + 1] = string.format("%d", latency:percentile(i / 10)) end
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "bad": %d, "exhausted": %d, ' ..
    '"socket_errors": %d, "max_us": %d, "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, bad_total, dry,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency.max, table.concat(q, ",")))
end
