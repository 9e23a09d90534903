-- calc_rows.record (issues 20, 22) writes, for each stored calculation, the rows that rillet
-- migration 0013 fills in SQL for the calculations stored before it: this spec records a
-- sample of results (well-formed, and with every malformed part the reports guard against),
-- then wipes the rows and runs the migration's backfill statements (copied verbatim from
-- migrations/0013_calc_figures.sql), and the two must be identical.
-- luacheck: no max line length (the migration's statements are copied verbatim)
local store = require "levy.store"
local json = require "levy.json"
local calc_rows = require "calc_rows"
local function dump(t, order)
  local out = {}
  for r in store.query("SELECT * FROM " .. t .. " ORDER BY " .. order) do
    -- a sum over an amount that is not canonical (dp_lo -1) is never read: its value may differ
    if r.dp_lo == -1 then r.amount, r.discount, r.taxable = nil, nil, nil end
    if r.tax_lo == -1 then r.tax = nil end
    local keys = {}
    for k in pairs(r) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(r[k]) .. ":" .. type(r[k]) end
    out[#out + 1] = table.concat(parts, ",")
  end
  return table.concat(out, "\n")
end
describe("calc_rows.record", function() it("writes the rows migration 0013 fills for a stored calculation", function()
  local cases = json.decode([==[[{"currency": "USD", "region": "US-CA", "total_taxable": "10.00", "total_amount": "10.83", "lines": [{"amount": "10.00", "taxable_amount": "10.00", "taxability_reason": "taxable", "taxes": [{"jurisdiction": "CA", "level": "state", "type": "sales", "amount": "0.60", "taxable_amount": "10.00", "percentage": "6.0", "authority_code": "06"}, {"jurisdiction": "LA", "level": "county", "type": "sales", "amount": "0.23", "taxable_amount": "10.00", "percentage": 2.25}]}, {"amount": "5.00", "discount": "1.00", "taxability_reason": "taxable", "taxes": [{"jurisdiction": "CA", "level": "state", "type": "sales", "amount": "0.24", "taxable_amount": "4.00", "percentage": "6.0", "authority_code": "06"}]}, {"amount": "3.00", "taxability_reason": "exempt", "taxes": []}]}, {"lines": [{"amount": 5, "taxes": [{"jurisdiction": 5, "amount": "0.5"}, {"amount": null, "taxable_amount": "1.00"}, "x"]}, "notobj", {"taxes": "no"}], "total_taxable": 10, "total_amount": 12}, {"lines": null}, {"lines": {"a": 1}}, {"currency": "EUR"}, {"lines": []}, [1, 2], null, {"lines": [{"amount": "12345678901234567890", "taxes": [{"jurisdiction": "X", "level": "l", "type": "t", "amount": "1.000", "taxable_amount": "-2.50", "percentage": null}]}], "total_taxable": "abc"}, {"currency": "USD", "lines": [{"amount": "--5", "discount": ".5", "taxable_amount": "5.", "taxes": [{"jurisdiction": "J", "level": "l", "type": "t", "amount": "1.2.3", "taxable_amount": "-.5", "percentage": "1"}]}, {"amount": "-0.50", "taxes": [{"jurisdiction": "J", "level": "l", "type": "t", "amount": "-", "taxable_amount": "12345678901234567.0"}]}]}]]==])
  for i = 1, 10 do
    local text = json.encode(cases[i])
    if cases[i] == json.null then text = nil end
    local result = text and json.decode(text) or nil
    store.exec("INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, total_tax, region, created_at, created_ms) VALUES (?, 'invoice', ?, 'f', ?, ?, ?, ?, 'x', 0)", "c" .. i, "d" .. i, '{"ship_to":{"country":"US","state":"CA"}}', text, "0.00", "US-CA")
    calc_rows.record("c" .. i, json.decode('{"ship_to":{"country":"US","state":"CA"}}'), result, "0.00", "US-CA")
  end
  local a = { dump("rillet_calc_sales", "calculation_id, reason"), dump("rillet_calc_taxes", "calculation_id, reason, jurisdiction, level, type, authority_code, rate"), dump("rillet_calc_heads", "calculation_id") }
  store.exec("DELETE FROM rillet_calc_sales"); store.exec("DELETE FROM rillet_calc_taxes"); store.exec("DELETE FROM rillet_calc_heads")
  store.exec([==[-- the calculations stored before this migration
INSERT INTO rillet_calc_sales(calculation_id, reason, lines, amount, discount, taxable, dp_lo, dp_hi)
    SELECT x.cid, x.reason, count(*), sum(COALESCE(CAST(replace(x.a, '.', '') AS INTEGER), 0)), sum(COALESCE(CAST(replace(x.d, '.', '') AS INTEGER), 0)),
      sum(COALESCE(CAST(replace(x.t, '.', '') AS INTEGER), 0)),
      min(min(COALESCE(x.ad, 99), COALESCE(x.dd, 99), COALESCE(x.td, 99))),
      max(max(COALESCE(x.ad, -99), COALESCE(x.dd, -99), COALESCE(x.td, -99)))
    FROM (SELECT y.cid, y.reason, y.a, y.d, y.t, CASE WHEN y.ty <> 'object' THEN -1 ELSE (CASE WHEN y.a IS NULL THEN NULL WHEN typeof(y.a) <> 'text' OR length(y.a) > 18 OR ltrim(replace(y.a, '.', ''), '-') = '' OR ltrim(replace(y.a, '.', ''), '-') GLOB '*[^0-9]*' OR y.a GLOB '--*' OR y.a GLOB '.*' OR y.a GLOB '-.*' OR y.a GLOB '*.' OR y.a GLOB '*.*.*' THEN -1 WHEN instr(y.a, '.') = 0 THEN 0 ELSE length(y.a) - instr(y.a, '.') END) END AS ad,
                 (CASE WHEN y.d IS NULL THEN NULL WHEN typeof(y.d) <> 'text' OR length(y.d) > 18 OR ltrim(replace(y.d, '.', ''), '-') = '' OR ltrim(replace(y.d, '.', ''), '-') GLOB '*[^0-9]*' OR y.d GLOB '--*' OR y.d GLOB '.*' OR y.d GLOB '-.*' OR y.d GLOB '*.' OR y.d GLOB '*.*.*' THEN -1 WHEN instr(y.d, '.') = 0 THEN 0 ELSE length(y.d) - instr(y.d, '.') END) AS dd, (CASE WHEN y.t IS NULL THEN NULL WHEN typeof(y.t) <> 'text' OR length(y.t) > 18 OR ltrim(replace(y.t, '.', ''), '-') = '' OR ltrim(replace(y.t, '.', ''), '-') GLOB '*[^0-9]*' OR y.t GLOB '--*' OR y.t GLOB '.*' OR y.t GLOB '-.*' OR y.t GLOB '*.' OR y.t GLOB '*.*.*' THEN -1 WHEN instr(y.t, '.') = 0 THEN 0 ELSE length(y.t) - instr(y.t, '.') END) AS td
          FROM (SELECT c.id AS cid, li.type AS ty,
                       COALESCE(CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxability_reason') END, '') AS reason,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.amount') END AS a,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.discount') END AS d,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxable_amount') END AS t
                FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li
                WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array') y) x
    GROUP BY x.cid, x.reason]==])
  store.exec([==[INSERT INTO rillet_calc_taxes(calculation_id, reason, jurisdiction, level, type, authority_code, rate, n,
      amount, taxable, dp_lo, dp_hi, taxable_missing)
    SELECT x.cid, x.reason, x.j, x.lv, x.ty, x.code, x.rate, count(*), sum(CAST(replace(x.a, '.', '') AS INTEGER)), sum(COALESCE(CAST(replace(x.t, '.', '') AS INTEGER), 0)),
      min(min(COALESCE((CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' OR x.a GLOB '--*' OR x.a GLOB '.*' OR x.a GLOB '-.*' OR x.a GLOB '*.' OR x.a GLOB '*.*.*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), -1), COALESCE((CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' OR x.t GLOB '--*' OR x.t GLOB '.*' OR x.t GLOB '-.*' OR x.t GLOB '*.' OR x.t GLOB '*.*.*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END), 99))),
      max(max(COALESCE((CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' OR x.a GLOB '--*' OR x.a GLOB '.*' OR x.a GLOB '-.*' OR x.a GLOB '*.' OR x.a GLOB '*.*.*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), -1), COALESCE((CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' OR x.t GLOB '--*' OR x.t GLOB '.*' OR x.t GLOB '-.*' OR x.t GLOB '*.' OR x.t GLOB '*.*.*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END), -99))),
      sum(CASE WHEN x.t IS NULL THEN 1 ELSE 0 END)
    FROM (SELECT c.id AS cid, COALESCE(json_extract(li.value, '$.taxability_reason'), '') AS reason,
                 json_extract(tx.value, '$.jurisdiction') AS j, json_extract(tx.value, '$.level') AS lv,
                 json_extract(tx.value, '$.type') AS ty, json_extract(tx.value, '$.authority_code') AS code,
                 json_extract(tx.value, '$.percentage') AS rate, json_extract(tx.value, '$.amount') AS a,
                 json_extract(tx.value, '$.taxable_amount') AS t
          FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li, json_each(CASE WHEN li.type = 'object' THEN li.value END, '$.taxes') tx
          WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array' AND tx.type = 'object') x
    GROUP BY x.cid, x.reason, x.j, x.lv, x.ty, x.code, x.rate]==])
  store.exec([==[INSERT OR REPLACE INTO rillet_calc_heads(calculation_id, has_result, readable, total_tax, region,
      result_currency, result_region, tax, tax_lo, tax_hi)
    SELECT c.id, c.result IS NOT NULL,
      c.result IS NULL OR (json_valid(c.result) AND json_type(c.result) = 'object'
        AND COALESCE(json_type(c.result, '$.lines'), 'array') = 'array'),
      c.total_tax, c.region, json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.currency'), json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.region'),
      (SELECT sum(t.amount) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT min(t.dp_lo) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT max(t.dp_hi) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id) FROM calculations c]==])
  store.exec([==[-- the liability and exposure columns of those calculations (calc_rows.lua's rules in SQL)
UPDATE rillet_calc_heads SET result_object = x.obj, total_taxable = x.tt, total_taxable_minor = x.ttm,
    total_taxable_scale = x.tts, total_amount = x.ta, ship_country = x.sc, ship_state = x.ss
  FROM (SELECT id, obj, tt, ttm, tts, ta, sc, ss FROM (
SELECT id, obj, tt, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN CAST(replace(tt, '.', '') AS INTEGER) END AS ttm, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN (CASE WHEN instr(tt, '.') = 0 THEN 0 ELSE length(tt) - instr(tt, '.') END) END AS tts, ta, sc, ss FROM (
  SELECT id, CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN 1 ELSE 0 END AS obj,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE WHEN json_type(result, '$.total_taxable') IS NULL OR json_type(result, '$.total_taxable') = 'null' THEN NULL WHEN json_type(result, '$.total_taxable') = 'text' THEN json_extract(result, '$.total_taxable') ELSE '' END) END AS tt,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE json_type(result, '$.total_amount') WHEN 'text' THEN json_extract(result, '$.total_amount')
      WHEN 'integer' THEN CAST(json_extract(result, '$.total_amount') AS TEXT) END) END AS ta,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.country') = 'text' THEN json_extract(request, '$.ship_to.country') END) END AS sc,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.state') = 'text' THEN json_extract(request, '$.ship_to.state') END) END AS ss
  FROM calculations)) z) x
  WHERE x.id = rillet_calc_heads.calculation_id]==])
  local b = { dump("rillet_calc_sales", "calculation_id, reason"), dump("rillet_calc_taxes", "calculation_id, reason, jurisdiction, level, type, authority_code, rate"), dump("rillet_calc_heads", "calculation_id") }
  local msg = "" for k = 1, 3 do if a[k] ~= b[k] then msg = msg .. ("LUA\n" .. a[k] .. "\nSQL\n" .. b[k]) end end if msg ~= "" then error(msg) end
  assert.same(b, a)
end) end)
