-- levy.util (core/lua/runtime/util.lua): the host's one copy of the helpers the plugins used
-- to carry each in their own util.lua. Where two copies disagreed, the case is pinned here.
local json = require "levy.json"
local time = require "levy.time"
local util = require "levy.util"

describe("JSON shapes", function()
  it("is_object follows what levy.json.encode writes as an object", function()
    assert.truthy(util.is_object({ a = 1 }))
    assert.truthy(util.is_object({}))                     -- encodes as {}
    assert.truthy(util.is_object(json.decode('{"a":1}')))
    assert.falsy(util.is_object(json.decode("[1]")))
    assert.falsy(util.is_object(json.decode("[]")))
    assert.falsy(util.is_object(json.empty_array))
    assert.falsy(util.is_object(json.null))
    assert.falsy(util.is_object("x"))
    -- api's copy called a plain sequence an object (it encodes as an array: [1,2]); the
    -- simulator's copy did not: the simulator's reading is the right one
    assert.equal("[1,2]", json.encode({ 1, 2 }))
    assert.falsy(util.is_object({ 1, 2 }))
  end)

  it("is_array takes the lists plugins build; is_json_array only what JSON calls an array", function()
    assert.truthy(util.is_array(json.decode("[]")))
    assert.truthy(util.is_array(json.decode("[1,2]")))
    assert.truthy(util.is_array({ 1, 2 }))
    assert.truthy(util.is_array({}))                      -- an empty list built with {}
    assert.falsy(util.is_array({ a = 1 }))
    assert.falsy(util.is_array(json.null))
    assert.truthy(util.is_json_array(json.decode("[]")))
    assert.truthy(util.is_json_array(json.empty_array))
    assert.truthy(util.is_json_array({ 1 }))
    assert.falsy(util.is_json_array(json.decode("{}")))  -- a decoded {} is an object
    assert.falsy(util.is_json_array({ a = 1 }))
  end)

  it("is_string refuses JSON number literals", function()
    assert.truthy(util.is_string("a"))
    assert.falsy(util.is_string(json.decode("[1.5]")[1]))
    assert.falsy(util.is_string(7))
  end)

  it("nn and orjnull turn JSON null and Lua nil into each other", function()
    assert.is_nil(util.nn(json.null))
    assert.equal("a", util.nn("a"))
    assert.equal(false, util.nn(false))
    assert.equal(json.null, util.orjnull(nil))
    assert.equal(0, util.orjnull(0))
    assert.equal(json.empty_array, util.array(nil))
    assert.equal(json.empty_array, util.array({}))
    assert.equal("[1]", json.encode(util.array({ 1 })))
  end)
end)

describe("values", function()
  it("trims, encodes queries and reads amounts", function()
    assert.equal("a b", util.trim(" \t a b \n"))
    assert.equal("", util.trim("   "))
    assert.equal("a%20b%2Fc~", util.urlencode("a b/c~"))
    assert.equal("?a=1&b=x%26y", util.query({ b = "x&y", a = 1, c = "" }))
    assert.equal("", util.query({}))
    assert.equal("1.50", util.decimal_or_zero("1.50"))
    assert.equal("0", util.decimal_or_zero(nil))
    assert.equal("0", util.decimal_or_zero("1e3"))
    assert.equal("0", util.decimal_or_zero(json.null))
  end)

  it("now_iso is levy.time's ISO timestamp of now", function()
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d", util.now_iso())
  end)
end)

describe("dates", function()
  it("levy.time.valid_date is the one date check (api's Lua copy is gone)", function()
    assert.truthy(time.valid_date("2024-02-29"))
    assert.falsy(time.valid_date("2023-02-29"))
    assert.falsy(time.valid_date("2024-13-01"))
    assert.falsy(time.valid_date("2024-1-01"))
    assert.falsy(time.valid_date(20240101))
    assert.falsy(time.valid_date(json.decode("[1.5]")[1]))
    -- api's copy refused text after the date; the C one read the string up to its first NUL
    -- byte and took "2024-01-01\0junk" for a date
    assert.falsy(time.valid_date("2024-01-01\0junk"))
    assert.falsy(time.valid_date("2024-01-01 "))
  end)
end)

describe("API errors", function()
  local function raised(fn)
    local ok, e = pcall(fn)
    assert.falsy(ok)
    return e
  end

  it("errors collects every problem and raises one 422", function()
    local errs = util.errors()
    assert.truthy(errs:empty())
    errs:raise() -- nothing collected: no error
    util.check_unknown(errs, { b = 1, a = 2, ok = 3 }, { ok = true }, "x.")
    assert.falsy(errs:empty())
    local e = raised(function() errs:raise() end)
    assert.equal(422, e.status)
    assert.equal("validation_failed", e.code)
    assert.same({ "x.a", "x.b" }, { e.details[1].field, e.details[2].field })
  end)

  it("invalid raises 422 for one field", function()
    local e = raised(function() util.invalid("limit", "must be an integer", "invalid query") end)
    assert.same({ 422, "validation_failed", "invalid query", "limit", "must be an integer" },
      { e.status, e.code, e.message, e.details[1].field, e.details[1].message })
    assert.equal("request body is invalid", raised(function() util.invalid("a", "b") end).message)
  end)

  it("body_object refuses what is not a JSON object", function()
    local function code(body, ct)
      local e = raised(function()
        util.body_object({ body = body, headers = { ["content-type"] = ct } })
      end)
      return e.status, e.code
    end
    assert.same({ a = 1 }, util.body_object({ body = '{"a":1}', headers = {} }))
    assert.same({ 400, "invalid_json" }, { code("[1]") })
    assert.same({ 400, "invalid_json" }, { code("") })
    assert.same({ 400, "invalid_json" }, { code("{") })
    assert.same({ 415, "unsupported_media_type" }, { code("{}", "text/plain") })
    assert.same({ b = 2 }, util.body_object({ body = '{"b":2}',
      headers = { ["content-type"] = "application/merge-patch+json; charset=utf-8" } }))
    -- blank bodies (every byte of %s) and bodies that only start with one (issue 21, calc22:
    -- the blank test looks at the first byte before the pattern); the media type with and
    -- without its fast path
    for _, blank in ipairs({ "", " ", "\t", "\n", "\r", "\v", "\f", " \t\r\n\v\f " }) do
      for _, ct in ipairs({ false, "application/json" }) do
        local e = raised(function() util.body_object({ body = blank, headers = { ["content-type"] = ct or nil } }) end)
        assert.same({ 400, "invalid_json", "a JSON object body is required" }, { e.status, e.code, e.message }, blank)
      end
    end
    for _, ws in ipairs({ " ", "\t", "\n", "\r" }) do
      assert.same({ c = 3 }, util.body_object({ body = ws .. '{"c":3}' .. ws, headers = {} }))
    end
    for _, ct in ipairs({ "application/json", "Application/JSON", " application/json ; x=1", "text/json+json" }) do
      assert.same({ d = 4 }, util.body_object({ body = '{"d":4}', headers = { ["content-type"] = ct } }), ct)
    end
    for _, ct in ipairs({ "application/jsonx", "application/json-seq", "text/plain; application/json" }) do
      assert.same({ 415, "unsupported_media_type" }, { code("{}", ct) }, ct)
    end
  end)

  it("body_object with levy.tax.parse refuses as json.decode does and gives the options' view", function()
    local tax = require "levy.tax"
    local function outcome(body, parse)
      local ok, v, view = pcall(util.body_object, { body = body, headers = {} }, parse)
      if ok then return "ok", view end
      return v.status, v.code, v.message
    end
    -- the refusals of the C parse (issue 21) are json.decode's, message and all
    for _, body in ipairs({ "", " ", "{", "[1]", '"x"', "12", '{"a":1,"a":2}', '{"a":1} x',
                            '{"a":"\\ud800"}', '{"a":tru}', string.rep("[", 201) .. string.rep("]", 201) }) do
      assert.same({ outcome(body) }, { outcome(body, tax.parse) }, body)
    end
    local status, view = outcome('{"customer":{"id":"c1","tax_id":5},"ship_to":{"country":"DE"},'
      .. '"lines":[{"product_id":"p1"},{"product_id":7},[],{"product_id":"p2","amount":"1"}],"currency":"EUR"}',
      tax.parse)
    assert.equal("ok", status)
    assert.same({ customer = { id = "c1" }, ship_to = { country = "DE" },
                  lines = { { product_id = "p1" }, { product_id = "p2" } } }, view)
    local _, v2 = outcome('{"customer":[],"ship_to":"x","lines":{}}', tax.parse)
    assert.same({}, v2) -- lines only when one names a product (issue 21)
    local _, v3 = outcome('{"lines":[{"amount":"1"},{"product_id":3}],"currency":"EUR"}', tax.parse)
    assert.same({}, v3)
  end)

  it("page_args reads limit and cursor, cursor_for writes the cursor", function()
    local limit, after = util.page_args({ query = { limit = "7", cursor = util.cursor_for("k9") } })
    assert.equal(7, limit)
    assert.equal("k9", after)
    assert.equal(50, (util.page_args({ query = {} })))
    -- a cursor from before the "k:" tag still reads; Base64 text no page gave is refused
    assert.equal("cus_7", select(2, util.page_args({ query = { cursor = "Y3VzXzc" } })))
    for _, bad in ipairs({ "not-a-cursor", "AAEC", "azo", "!!" }) do
      local e = raised(function() util.page_args({ query = { cursor = bad } }) end)
      assert.same({ 422, "cursor" }, { e.status, e.details[1].field }, bad)
    end
    raised(function() util.page_args({ query = { limit = "0" } }) end)
    raised(function() util.page_args({ query = { limit = "501" } }) end)
    assert.equal(100, util.limit_arg({}, 100))
    assert.equal(500, util.limit_arg({ limit = "500" }, 100))
    for _, bad in ipairs({ "0", "501", "x", "-1", "1.5", "99999999999999999999" }) do
      local e = raised(function() util.limit_arg({ limit = bad }, 100) end)
      assert.same({ 422, "invalid query", "limit" }, { e.status, e.message, e.details[1].field }, bad)
    end
  end)
end)

describe("csv", function()
  it("writes the header and quotes what needs it, nil and null empty", function()
    assert.equal("a,b\r\n1,\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n,\" z\"\r\n",
      util.csv({ { a = 1 }, { a = "x,y", b = 'say "hi"' }, { a = json.null, b = " z" } }, { "a", "b" }))
    assert.equal("a\r\n", util.csv({}, { "a" }))
  end)
  -- csv_field decides by plain searches and its end bytes (issue 20, export22: the audit
  -- export's CPU); the same as the rule in patterns it replaced, for every character at either
  -- end, inside, alone, and for numbers
  it("quotes exactly what the pattern rule quotes", function()
    local function rule(v)
      if v == nil or v == json.null then return "" end
      local s = tostring(v)
      if s:find('[,"\r\n]') or s:match("^%s") or s:match("%s$") then s = '"' .. s:gsub('"', '""') .. '"' end
      return s
    end
    local cases = { "", "a", "12.50", -3, 7, 1.5, "ab c", "x,y", 'q"q', "r\rr", "n\nn" }
    for b = 0, 255 do
      local c = string.char(b)
      for _, v in ipairs({ c, c .. "ab", "ab" .. c, "a" .. c .. "b", c .. c }) do cases[#cases + 1] = v end
    end
    for _, v in ipairs(cases) do assert.equal(rule(v), util.csv_field(v), string.format("%q", tostring(v))) end
    assert.equal("", util.csv_field(nil))
    assert.equal("", util.csv_field(json.null))
  end)
  it("knows when a request asks for CSV", function()
    assert.truthy(util.wants_csv({ query = { format = "csv" } }))
    assert.falsy(util.wants_csv({ query = { format = "json" }, headers = { accept = "text/csv" } }))
    assert.truthy(util.wants_csv({ query = {}, headers = { accept = "text/csv, */*" } }))
    assert.falsy(util.wants_csv({ query = {}, headers = { accept = "application/json" } }))
    assert.falsy(util.wants_csv({}))
  end)
  it("replies with a CSV attachment", function()
    local st, body, h = util.csv_reply("a\r\n", "x.csv")
    assert.same({ 200, "a\r\n", "text/csv; charset=utf-8", 'attachment; filename="x.csv"' },
      { st, body, h["Content-Type"], h["Content-Disposition"] })
  end)
end)

describe("the module", function()
  it("is read-only", function()
    assert.raises(function() util.nn = nil end, "read%-only")
  end)
end)
