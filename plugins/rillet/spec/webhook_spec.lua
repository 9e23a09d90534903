-- webhook.lua: Rillet's signature verification (rillet-api.md §4.5, CONTRACT §2.7).
--   signature = Base64(HMAC-SHA256(key, ts "." id "." entity "." event "." body))
--   key = the token's Base64-decoded bytes when it decodes, and its text bytes.
local crypto = require "levy.crypto"
local webhook = require "webhook"

local TS, ID = "2026-08-01T12:00:00Z", "0f8fad5b-d9cb-469f-a165-70867728950e"
local BODY = '{"id":"inv_1"}'
local B64_TOKEN = crypto.b64encode("0123456789abcdef0123456789abcdef") -- a Base64 token
local TEXT_TOKEN = "whsec plain text token!"                            -- not Base64

local function sign(key, ts, id, entity, event, body)
  return crypto.b64encode(crypto.hmac_sha256(key, ts .. "." .. id .. "." .. entity .. "." .. event .. "." .. body))
end

local function headers(sig)
  return { ["x-rillet-signature"] = sig, ["x-rillet-timestamp"] = TS, ["x-rillet-id"] = ID,
           ["x-rillet-entity"] = "INVOICE", ["x-rillet-event"] = "INVOICE_UPDATED" }
end

describe("verify", function()
  it("accepts a signature made with the token's decoded bytes", function()
    local key = crypto.b64decode(B64_TOKEN)
    assert.equal(true, webhook.verify(B64_TOKEN, headers(sign(key, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)), BODY))
  end)

  it("accepts a signature made with a Base64 token's text bytes", function()
    local sig = sign(B64_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(true, webhook.verify(B64_TOKEN, headers(sig), BODY))
  end)

  it("accepts a text token (not Base64) used as is", function()
    local sig = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(true, webhook.verify(TEXT_TOKEN, headers(sig), BODY))
  end)

  it("refuses a signature over another body", function()
    local sig = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(sig), '{"id":"inv_2"}'))
  end)

  it("refuses a signature made with another token", function()
    local sig = sign("another token", TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(sig), BODY))
  end)

  it("refuses a signature over other header values", function()
    local sig = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_CREATED", BODY)
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(sig), BODY))
  end)

  it("refuses an empty token and garbage signatures", function()
    local sig = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(false, webhook.verify("", headers(sig), BODY))
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers("not base64 !!"), BODY))
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(""), BODY))
  end)

  it("computes one HMAC per delivery once a key has verified, and every key's for a refusal", function()
    local keys = webhook.keys(B64_TOKEN)
    assert.equal(2, #keys)
    -- verify_keys returns ok and the number of HMACs computed (core/crypto/hook.c)
    local by_text = headers(sign(B64_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY))
    local ok, calls = webhook.verify_keys(keys, by_text, BODY)  -- the second key verifies
    assert.equal(true, ok)
    assert.equal(2, calls)
    ok, calls = webhook.verify_keys(keys, by_text, BODY)        -- it is tried first now
    assert.equal(true, ok)
    assert.equal(1, calls)
    local by_decoded = headers(sign(crypto.b64decode(B64_TOKEN), TS, ID, "INVOICE", "INVOICE_UPDATED", BODY))
    ok, calls = webhook.verify_keys(keys, by_decoded, BODY)     -- the other key still verifies
    assert.equal(true, ok)
    assert.equal(2, calls)
    local forged = headers(sign("another token", TS, ID, "INVOICE", "INVOICE_UPDATED", BODY))
    ok, calls = webhook.verify_keys(keys, forged, BODY)
    assert.equal(false, ok)
    assert.equal(2, calls)
  end)

  it("accepts any one of several comma-separated signatures", function()
    local good = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    local bad = sign("old token", TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    assert.equal(true, webhook.verify(TEXT_TOKEN, headers(bad .. ", " .. good), BODY))
    assert.equal(true, webhook.verify(TEXT_TOKEN, headers(good .. "," .. bad), BODY))
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(bad .. "," .. bad), BODY))
  end)

  it("looks at no more than MAX_SIGNATURES of them", function()
    local good = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    local bad = sign("old token", TS, ID, "INVOICE", "INVOICE_UPDATED", BODY)
    local list = {}
    for i = 1, webhook.MAX_SIGNATURES do list[i] = bad end
    assert.equal(false, webhook.verify(TEXT_TOKEN, headers(table.concat(list, ",") .. "," .. good), BODY))
    list[webhook.MAX_SIGNATURES] = good
    assert.equal(true, webhook.verify(TEXT_TOKEN, headers(table.concat(list, ",")), BODY))
  end)

  it("accepts a URL-safe Base64 signature", function()
    local sig = sign(TEXT_TOKEN, TS, ID, "INVOICE", "INVOICE_UPDATED", BODY):gsub("%%+", "-"):gsub("/", "_")
    assert.equal(true, webhook.verify(TEXT_TOKEN, headers(sig), BODY))
  end)
end)

describe("headers and check", function()
  it("lists the missing headers", function()
    local h, missing = webhook.headers({ ["x-rillet-id"] = ID, ["X-Rillet-Timestamp"] = TS })
    assert.is_nil(h)
    assert.same({ "x-rillet-signature", "x-rillet-entity", "x-rillet-event" }, missing)
  end)

  it("refuses an id that is not a UUID and a timestamp that is not RFC 3339", function()
    local h = headers("x")
    h["x-rillet-id"] = "123Z." .. ID
    local ok, why = webhook.check(h)
    assert.is_nil(ok)
    assert.matches("UUID", why)
    h = headers("x")
    h["x-rillet-timestamp"] = "2026-02-30T10:00:00Z"
    assert.is_nil((webhook.check(h)))
    assert.equal(true, webhook.check(headers("x")))
  end)

  it("parses timestamps with fractions and zones", function()
    assert.equal(webhook.parse_timestamp("2026-08-01T12:00:00Z") + 123,
                 webhook.parse_timestamp("2026-08-01T14:00:00.123+02:00"))
    assert.is_nil(webhook.parse_timestamp("2026-08-01 12:00:00Z"))
  end)

  it("reads the calendar, the clock and the zone strictly", function()
    assert.equal(1785585600000, webhook.parse_timestamp("2026-08-01T12:00:00Z"))
    assert.equal(1785585600000, webhook.parse_timestamp("2026-08-01t12:00:00z"))
    assert.equal(1785585600000 + 999, webhook.parse_timestamp("2026-08-01T12:00:00.999999999Z"))
    assert.equal(1785585600000, webhook.parse_timestamp("2026-08-01T05:30:00-06:30"))
    assert.equal(951782400000, webhook.parse_timestamp("2000-02-29T00:00:00Z"))
    assert.equal(-86400000, webhook.parse_timestamp("1969-12-31T00:00:00Z"))
    for _, bad in ipairs({ "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-08-01T24:00:00Z", "2026-08-01T12:60:00Z", "2026-08-01T12:00:60Z", "2026-08-01T12:00:00+24:00",
        "2026-08-01T12:00:00+02:60", "2026-08-01T12:00:00.1234567890Z", "2026-08-01T12:00:00+0200",
        "2026-08-01T12:00:00", "2026-08-01T12:00Z", "2026-08-01T12:00:00.Z", "2026-08-01T12:00:00,5Z",
        "2026-08-01T12:00:00 Z", "+2026-08-01T12:00:00Z", "2026-8-01T12:00:00Z" }) do
      assert.is_nil(webhook.parse_timestamp(bad), bad)
    end
  end)
end)
