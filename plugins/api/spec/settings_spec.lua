-- validate.lua's settings (PUT /v1/settings, PUT /v1/connections/{id}/settings): the two-word
-- settings read by one word_setting (rounding, default_customer_type, ca_gst_regime,
-- qc_qst_regime: the regimes also take null, back to the default) and the settings a
-- connection cannot override, refused by one refuse_global_only with their own messages.
local validate = require "validate"
local json = require "levy.json"

-- the 422 a call raises: {message, fields named by its details}
local function refused(fn)
  local e = assert.raises(fn)
  assert.equal(422, e.status)
  assert.equal("validation_failed", e.code)
  local fields = {}
  for _, d in ipairs(e.details or {}) do fields[#fields + 1] = d.field .. ": " .. d.message end
  return e.message, fields
end

describe("two-word settings", function()
  local WORDS = {
    { "rounding", "line", "document", false },
    { "default_customer_type", "business", "individual", false },
    { "ca_gst_regime", "simplified", "normal", true },
    { "qc_qst_regime", "specified", "regular", true },
    { "eu_below_threshold", "yes", "no", true },
    { "pickup_offered", "yes", "no", true },
    { "us_al_ssut", "yes", "no", true },
    { "us_tx_single_local", "yes", "no", true },
  }
  it("take either word", function()
    for _, w in ipairs(WORDS) do
      assert.equal(w[2], validate.settings({ [w[1]] = w[2] })[w[1]])
      assert.equal(w[3], validate.settings({ [w[1]] = w[3] })[w[1]])
      assert.is_nil(validate.settings({})[w[1]])
    end
  end)
  it("refuse another word or a number, naming both words", function()
    for _, w in ipairs(WORDS) do
      for _, bad in ipairs({ "other", 1, w[2]:upper() }) do
        local msg, fields = refused(function() validate.settings({ [w[1]] = bad }) end)
        local want = w[1] .. ': must be "' .. w[2] .. '" or "' .. w[3] .. '"'
        assert.equal(want, msg)
        assert.same({ want }, fields)
      end
    end
  end)
  it("take null for the regimes only (back to the default)", function()
    for _, w in ipairs(WORDS) do
      if w[4] then
        assert.equal(json.null, validate.settings({ [w[1]] = json.null })[w[1]])
      else
        local msg = refused(function() validate.settings({ [w[1]] = json.null }) end)
        assert.equal(w[1] .. ': must be "' .. w[2] .. '" or "' .. w[3] .. '"', msg)
      end
    end
  end)
  it("report every bad one at once", function()
    local msg, fields = refused(function()
      validate.settings({ rounding = "x", qc_qst_regime = "x" })
    end)
    assert.equal("request has 2 invalid fields", msg)
    assert.same({ 'rounding: must be "line" or "document"', 'qc_qst_regime: must be "specified" or "regular"' }, fields)
  end)
end)

describe("settings a connection cannot override", function()
  local WHY = {
    tax_id_online = "",
    ca_gst_regime = " (only a seller not established in Canada can use the simplified regime)",
    qc_qst_regime = "",
    customer_data = " (Rillet's customers are organisation-wide)",
  }
  it("are refused with what to do instead, null included", function()
    for field, why in pairs(WHY) do
      for _, v in ipairs({ "x", json.null }) do
        local msg, fields = refused(function() validate.refuse_global_only({ rounding = "line", [field] = v }) end)
        assert.equal(field .. ": applies to every connection" .. why .. "; set it with PUT /v1/settings", msg)
        assert.same({ field .. ": applies to every connection; set it with PUT /v1/settings" }, fields)
      end
    end
  end)
  it("the first in the order tax_id_online, ca_gst_regime, qc_qst_regime, customer_data", function()
    local msg = refused(function() validate.refuse_global_only({ customer_data = {}, qc_qst_regime = "regular" }) end)
    assert.matches("^qc_qst_regime: ", msg)
    msg = refused(function()
      validate.refuse_global_only({ customer_data = {}, tax_id_online = {}, ca_gst_regime = "normal" })
    end)
    assert.matches("^tax_id_online: ", msg)
  end)
  it("leave the settings a connection may override alone", function()
    validate.refuse_global_only({ rounding = "document", seller_address = json.null,
      default_customer_type = "business" })
  end)
end)
