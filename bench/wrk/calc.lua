-- wrk script: POST /v1/calculate with varied 10-line US invoices (5 Texas ZIPs, rotating
-- amounts); env BENCH_TOKEN = levy API token (the nginx peer ignores it), BENCH_LINES = lines,
-- BENCH_BODIES = a file of bodies, one a line (`bench/mkreq.py bodies LINES SET FILE`: the
-- cacity, euvat, canada and mixed sets) instead of the Texas ones built here.
local token = os.getenv("BENCH_TOKEN") or ""
local nlines = tonumber(os.getenv("BENCH_LINES") or "10")
local file = os.getenv("BENCH_BODIES")
local zips = { {"78701", "Austin"}, {"75201", "Dallas"}, {"77002", "Houston"}, {"78205", "San Antonio"}, {"79901", "El Paso"} }
local bodies, n = {}, 0
if file and file ~= "" then
  for l in io.lines(file) do if l ~= "" then bodies[#bodies + 1] = l end end
else
  for v = 1, 20 do
    local z = zips[(v - 1) % #zips + 1]
    local lines = {}
    for i = 1, nlines do
      lines[i] = string.format('{"id":"%d","amount":"%d.%02d","quantity":"%d","tax_code":"%s"}',
        i, 100 + i + v, (i * 7 + v) % 100, 1 + (i % 3), (i % 3 == 0) and "saas" or "general")
    end
    bodies[v] = string.format('{"currency":"USD","date":"2026-03-01","ship_to":{"line1":"1 Main","city":"%s","state":"TX","zip_code":"%s","country":"US"},"lines":[%s]}',
      z[2], z[1], table.concat(lines, ","))
  end
end
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
local reqs = {}
function init()
  for v = 1, #bodies do reqs[v] = wrk.format("POST", "/v1/calculate", headers, bodies[v]) end
end
function request()
  n = n % #reqs + 1
  return reqs[n]
end
