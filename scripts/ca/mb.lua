-- Manitoba (region CA-MB): RST 7%, reported as PST, registered separately from the federal GST (region "CA",
-- scripts/ca/gst.lua). The engine supplies the provincial rate (7%) from its Canadian rate
-- data and applies this file to the provincial jurisdiction; the self-test totals include
-- the 5% GST of the CA rule (self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): unchanged. Manitoba RST has no B2B relief for a
-- registered out-of-province seller: business customers are charged (The Retail Sales Tax Act
-- s. 2, s. 4; Bulletin 058).
--
-- Start of the regime for sellers outside Manitoba (issue 19): from 2021-12-01 (Budget 2021;
-- Information Bulletin No. 064 "Streaming Services and Online Platforms") a seller outside
-- Manitoba of streaming services and media content (music, audio programs, video, ring
-- tones) registers and collects RST; before it such a seller did not collect (a Manitoba
-- vendor such as Crave did: CBC 2021-04-07). Out of scope for the RST only, before that date.
-- Sources: Osler 2021-12-13; Crowe Soberman 2021-12-07; MNP "Online sales - Manitoba RST
-- changes effective December 1, 2021". Downloaded software (software_download) is not in
-- the regime: software is tangible personal property under the RST Act ("software": packaged
-- or prewritten programs, or the right to use them; Miller Thomson 2025 on Bulletin RST 003),
-- taxed when installed on a device in Manitoba, and a vendor outside Manitoba soliciting
-- Manitoba sales of taxable goods registers and collects (Information Bulletin No. 004,
-- "Information for Vendors", s. 2), as for any goods: charged on every date.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2021-12-01", codes = { "digital_goods" },
    cite = "The Retail Sales Tax Act (MB) as amended by Budget 2021, in force 2021-12-01; Information Bulletin No. 064" },
}

return {
  region = "CA-MB",
  name = "Manitoba",
  tax_type = "PST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- The Retail Sales Tax Act (MB): RST 7% (tax type PST)
    saas = { -- cloud computing services (SaaS, PaaS, IaaS) for use in Manitoba
      { "exempt", to = "2025-12-31", cite = "RST Act (MB): software on a server outside Manitoba merely accessed remotely was not taxable before 2026 (Manitoba Finance, Information Bulletin RST 003)" },
      { "taxable", from = "2026-01-01", cite = "Manitoba Budget 2025; Information Bulletin RST 003 'Computer Software and Online Services': RST 7% on cloud computing services from 2026-01-01 (payments before 2026 for periods starting before 2026 not taxed: not modelled)" },
    },
    software_download = "taxable", -- RST Act (MB) s. 1(1) "software", s. 2(1): prewritten software, or the right to use it, is tangible personal property taxed at 7% when installed on a device in Manitoba (Information Bulletin RST 003 "Computer Software and Online Services"; Crowe Soberman 2025-11-10)
    digital_goods = "taxable", -- streaming/digital services taxable since 2021-12-01
    streaming_audio = "taxable", -- Information Bulletin No. 064: RST on streaming services (music, audio programs) for Manitoba residents; sellers outside Manitoba from 2021-12-01 (REGIME)
    streaming_video = "taxable", -- Information Bulletin No. 064: television programs, movies and other video
    professional_services = "exempt", -- professional services are not taxable (legal/accounting)
    training = "exempt",
    shipping = "taxable", -- delivery by the vendor is part of the taxable price (doubt)
    clothing = "taxable", -- children's clothing exempt: not separable under this code
    food_grocery = "exempt",
    exempt = "exempt",
  },
  foreign_seller_regime = REGIME, -- start of the regime for sellers outside Manitoba (header above)
  calculate_before = "2021-12-01", -- calculate only acts before it: later requests skip it
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CA", "MB")
  end,
  selftest = {
    -- issue 19: the RST of a seller outside Manitoba on streaming from 2021-12-01
    { name = "Ontario seller 2021-11-30: streaming video GST 5% only, no RST yet",
      request = {
        currency = "CAD", date = "2021-11-30",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "streaming_video" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Ontario seller 2021-12-01: streaming video GST 5% + RST 7%",
      request = {
        currency = "CAD", date = "2021-12-01",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "streaming_video" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "Ontario seller 2021-11-30: downloaded software GST 5% + RST 7% (not in the streaming regime)",
      request = {
        currency = "CAD", date = "2021-11-30",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "software_download" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "Manitoba seller 2021-11-30: streaming video GST + RST",
      request = {
        currency = "CAD", date = "2021-11-30",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Brandon", state = "MB", zip_code = "R7A 0A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "streaming_video" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },

    { name = "general goods: GST 5% + PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, taxability with dates: RST on cloud computing services from 2026-01-01
    { name = "SaaS 2025-12-31: GST only, no RST yet",
      request = {
        currency = "CAD", date = "2025-12-31",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00" } } } },
    { name = "SaaS 2026-01-01: GST 5% + RST 7%",
      request = {
        currency = "CAD", date = "2026-01-01",
        ship_to = { line1 = "1 Main Street", city = "Winnipeg", state = "MB", zip_code = "R3C 0V8", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00" } } } },
  },
}
