-- A report's or list's region filter (issues 19/20): a region code chosen by a user (or a
-- subscribed region) against the regions stored on documents.
--
-- A document's stored region is its answer's region, and a Canadian province's tax is a group
-- inside the CA answer (core/tax/rates.c resolve_ca): a Quebec invoice is stored as region CA,
-- with its GST row (type GST, authority CA) and its QST row (type QST, level province,
-- authority QC). So:
--   CA-QC, CA-BC, CA-MB, CA-SK (a province, "CA-XX"): the documents of region CA whose
--     calculation's ship-to is in XX, and of their taxes only the province's own (type PST or
--     QST with authority code XX): what the provincial return reports;
--   CA: every document of region CA, and of their taxes the GST/HST ones (everything but the
--     provincial PST/QST): the federal GST/HST return (HST is filed with GST);
--   any other code (US-CA, EU, DE…): the documents stored with that region, every tax.
-- bulk.lua's re-checks choose a province's documents the same way (region_args).
local M = {}

-- the provincial taxes: filed with the province, not on the federal GST/HST return
local PROVINCIAL = { PST = true, QST = true }

-- The filter of a code: {code, stored (the documents' region), state (a province: its
-- subdivision code), federal (CA: only GST/HST)}, or nil for no code.
function M.scope(code)
  if type(code) ~= "string" or code == "" then return nil end
  code = code:upper()
  local sub = code:match("^CA%-(%u%u)$")
  if sub then return { code = code, stored = "CA", state = sub } end
  return { code = code, stored = code, federal = code == "CA" }
end

-- The SQL condition choosing a filter's documents: region_col is the document's stored region
-- (an expression), state_col its calculation's ship-to state (an expression; only read for a
-- province). Returns the condition and its arguments (a list).
function M.doc_where(s, region_col, state_col)
  if s.state then
    return "(" .. region_col .. " = ? AND upper(" .. state_col .. ") = ?)", { s.stored, s.state }
  end
  return region_col .. " = ?", { s.stored }
end

-- Does a tax row of this type and authority code count in the filter's region?
function M.tax_in(s, tax_type, code)
  if not s then return true end
  if s.state then
    return PROVINCIAL[tax_type] == true and type(code) == "string" and code:upper() == s.state
  end
  if s.federal then return not PROVINCIAL[tax_type] end
  return true
end

-- tax_in as an SQL condition on a rillet_calc_taxes row `t` (literals: a province's code is
-- two capital letters, scope's pattern), or nil when every tax counts.
function M.tax_where(s)
  if s and s.state then
    return "t.type IN ('PST', 'QST') AND upper(t.authority_code) = '" .. s.state .. "'"
  end
  if s and s.federal then return "(t.type IS NULL OR t.type NOT IN ('PST', 'QST'))" end
  return nil
end

-- SQL reading a calculation head's tax (alias.tax, alias.tax_lo, alias.tax_hi: Σ amount and the
-- decimals seen, rillet_calc_heads) made to read only the filter's taxes: each becomes the same
-- figure over the calculation's rillet_calc_taxes rows that count (NULL when none, as the head
-- has). aliases: the heads' aliases in sql. sql unchanged when every tax counts.
-- The rewritten text is kept per (condition, aliases, text) (issue 21): the six frontier-pattern
-- gsubs over a candidates statement of ~3 kB were ~2 M instructions on the loop at each call
-- (the not-collected memo's warming asks one per month, region filter and document type).
-- Statement texts are few (built from constants); past HEAD_MEMO_MAX the memo starts over.
local HEAD_MEMO_MAX = 32
local head_memo, head_memo_n = {}, 0

function M.head_taxes(s, sql, aliases)
  local cond = M.tax_where(s)
  if not cond then return sql end
  local key = cond .. "\0" .. table.concat(aliases, ",") .. "\0" .. sql
  local hit = head_memo[key]
  if hit then return hit end
  local text = sql
  for _, a in ipairs(aliases) do
    local from = " FROM rillet_calc_taxes t WHERE t.calculation_id = " .. a .. ".calculation_id AND " .. cond .. ")"
    -- the longer names first; %f: wc.tax is not c.tax, c.tax_lo not c.tax
    text = text:gsub("%f[%w_]" .. a .. "%.tax_lo%f[^%w_]", "(SELECT min(t.dp_lo)" .. from)
    text = text:gsub("%f[%w_]" .. a .. "%.tax_hi%f[^%w_]", "(SELECT max(t.dp_hi)" .. from)
    text = text:gsub("%f[%w_]" .. a .. "%.tax%f[^%w_]", "(SELECT CAST(sum(t.amount) AS BIGINT)" .. from)
  end
  if head_memo_n >= HEAD_MEMO_MAX then head_memo, head_memo_n = {}, 0 end
  head_memo[key] = text
  head_memo_n = head_memo_n + 1
  return text
end

-- Rows as the filter's region shows them: a province's rows carry the province's code (their
-- stored region is CA) in the given fields.
function M.relabel(s, list, fields)
  if not (s and s.state) then return list end
  for _, r in ipairs(list or {}) do
    for _, f in ipairs(fields) do
      if r[f] == s.stored then r[f] = s.code end
    end
  end
  return list
end

-- filing_sums' answer ({docs, lines, taxes, bad}) for the filter: only the region's taxes,
-- relabelled (the documents were chosen by the caller's SQL).
function M.filing_sums(s, out)
  if not (s and out and out.taxes) then return out end
  local keep = {}
  for _, r in ipairs(out.taxes) do
    if M.tax_in(s, r.tax_type, r.authority_code) then keep[#keep + 1] = r end
  end
  out.taxes = keep
  for _, kind in ipairs({ "docs", "lines", "taxes" }) do M.relabel(s, out[kind], { "region" }) end
  return out
end

-- A stored result's figures (reports' filing.figures: {tax, juris = {{type, authority_code,
-- tax, ...}}}) for the filter: only the region's taxes, and tax their sum.
function M.figures(s, f)
  if not (s and f and f.juris) or not (s.state or s.federal) then return f end
  local keep, tax = {}, 0
  for _, j in ipairs(f.juris) do
    if M.tax_in(s, j.type, j.authority_code) then
      keep[#keep + 1] = j
      tax = tax + (j.tax or 0)
    end
  end
  f.juris, f.tax = keep, tax
  return f
end

return M
