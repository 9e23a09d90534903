-- Quebec (region CA-QC): QST 9.975%, registered separately from the GST (region "CA").
-- tax-facts §5 / #10: GST 5% and QST 9.975% are both computed on the pre-tax price (no tax on
-- tax since 2013) and each is rounded separately, half up to the cent: the engine rounds per
-- jurisdiction, so nothing here does money; the self-tests pin it (totals include the GST of
-- the CA rule: self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): a seller outside Quebec registered under the specified
-- QST registration system (Act respecting the QST, s. 477.1 ff.; Revenu Quebec "Registration
-- for suppliers outside Quebec") collects QST only on supplies to "specified Quebec consumers",
-- persons not registered for QST; a customer that gives its QST registration number is not
-- charged (Mazars: "collect QST from all clients in Quebec ... that are not registered for
-- QST"; Grant Thornton 2018-12: "a specified Quebec consumer is a consumer that is resident in
-- Quebec that is not registered for QST purposes"). Declared as reverse_charge =
-- "b2b_qst_specified" (core/tax/calc.c qst_specified_applies): only with the organisation
-- setting qc_qst_regime = "specified" (default "regular": the regular system charges every
-- customer), for a seller not established in Quebec, and a customer.qst_number of the regular
-- system (10 digits, "TQ", 4 digits: 1234567890TQ0001). The QST entry keeps its rate with a
-- zero amount (reason reverse_charge) and the answer notes qst_registrant; an unusable number
-- (wrong shape, or a specified-system "NR" number) is a consumer sale with the note
-- qst_number_invalid. The GST/HST of the line is decided by the CA rule on its own
-- (customer.tax_id, setting ca_gst_regime).
--
-- Start of the specified registration for sellers outside Quebec (issue 19): before it a
-- supplier with no physical or significant presence in Quebec had no duty to register and
-- collect QST; the Quebec recipient self-assessed. Quebec Budget 2018-2019 (2018-03-27), Act
-- respecting the QST, specified registration (s. 477.1 ff., doubt on the exact sections):
--   * a "foreign specified supplier" (outside Canada, not registered for GST/HST): from
--     2019-01-01, on incorporeal movable property and services;
--   * a "Canadian specified supplier" (in Canada outside Quebec; also a supplier abroad
--     registered for GST/HST, which levy cannot tell: doubt): from 2019-09-01, on
--     incorporeal and corporeal movable property and services.
-- Sources: Grant Thornton tax alert "QST new specified registration system" (2018-12);
-- Mazars "New QST measures for suppliers outside of Quebec"; BDO tax alert (2018).
-- This is the QST's own start: the GST/HST of a non-resident starts on 2021-07-01
-- (scripts/ca/gst.lua), so a US seller's Quebec SaaS sale in 2020 carries QST only.

local foreign_regime = require "_lib.foreign_regime"

local SERVICES = { "saas", "software_download", "digital_goods", "professional_services", "training" }
local REGIME = {
  { from = "2019-01-01", sellers = "abroad", codes = SERVICES,
    cite = "Act respecting the QST, specified registration for foreign specified suppliers (Quebec Budget 2018-2019; in force 2019-01-01)" },
  { from = "2019-09-01", sellers = "in_country",
    codes = { "saas", "software_download", "digital_goods", "professional_services", "training", "general", "clothing", "shipping" },
    cite = "Act respecting the QST, specified registration for Canadian specified suppliers (Quebec Budget 2018-2019; in force 2019-09-01)" },
}

return {
  region = "CA-QC",
  name = "Quebec",
  tax_type = "QST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- Act respecting the QST: 9.975% on the price before GST
    saas = "taxable", -- QST mirrors the GST base; specified suppliers register since 2019-01-01
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable", -- (doubt, as GST)
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "zero_rated", -- basic groceries zero-rated (as GST Schedule VI)
    exempt = "exempt",
  },
  reverse_charge = "b2b_qst_specified", -- header above; docs/rules.md section 2
  foreign_seller_regime = REGIME, -- start of the specified registration (header above)
  calculate_before = "2019-09-01", -- calculate only acts before the last row's start: later requests skip it
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CA", "QC")
  end,
  selftest = {
    -- issue 19: the QST number of a registrant under the specified system
    { name = "specified system, US seller, valid QST number: GST 5% charged, QST not (registrant)",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "reverse_charge" } },
                 notes = { { code = "qst_registrant" } } } },
    { name = "specified system, QST number with spaces and lower case: accepted",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", qst_number = "1234567890 tq 0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "reverse_charge" } },
                 notes = { { code = "qst_registrant" } } } },
    { name = "specified system, an NR number (a specified registrant): QST charged, note qst_number_invalid",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", qst_number = "1234567890NR0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } },
                 notes = { { code = "qst_number_invalid" } } } },
    { name = "specified system, 9 digits: QST charged, note qst_number_invalid",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", qst_number = "123456789TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } },
                 notes = { { code = "qst_number_invalid" } } } },
    { name = "specified system, no QST number: QST charged (a specified Quebec consumer)",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "regular system (the default), valid QST number: QST charged",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "specified setting, seller established in Quebec: QST charged",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Quebec", state = "QC", zip_code = "G1R 4P5", country = "CA" },
        customer = { id = "b2b-qc", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "specified system, Ontario seller, valid QST number: QST not charged",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        customer = { id = "b2b-qc", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "reverse_charge" } },
                 notes = { { code = "qst_registrant" } } } },
    { name = "simplified GST/HST regime and a valid BN, no QST number: GST not charged, QST 9.975% still is (each tax by its own regime)",
      ca_gst_regime = "simplified", qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", tax_id = "123456782RT0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "9.98", lines = { { tax = "9.98", taxability_reason = "reverse_charge" } } } },
    { name = "simplified GST/HST regime, valid BN and valid QST number: neither charged",
      ca_gst_regime = "simplified", qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-qc", tax_id = "123456782RT0001", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "specified system, Ontario seller 2020-06-01 (the GST rule's calculate runs then), valid QST number: GST 5% still charged",
      qc_qst_regime = "specified",
      request = {
        currency = "CAD", date = "2020-06-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        customer = { id = "b2b-qc", qst_number = "1234567890TQ0001" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "reverse_charge" } },
                 notes = { { code = "qst_registrant" } } } },
    -- issue 19: each tax of the line by its own date (QST 2019-01-01 / 2019-09-01, GST/HST 2021-07-01)
    { name = "US seller 2018-12-31: neither QST nor GST yet, out of scope, note regime_not_in_force",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "US seller 2019-01-01: QST 9.975% (foreign specified supplier), GST not until 2021-07-01",
      request = {
        currency = "CAD", date = "2019-01-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "9.98", lines = { { tax = "9.98", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "US seller 2021-07-01: QST and GST",
      request = {
        currency = "CAD", date = "2021-07-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "Ontario seller 2019-08-31: GST 5% only, QST not yet (Canadian specified supplier)",
      request = {
        currency = "CAD", date = "2019-08-31",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Ontario seller 2019-09-01: GST 5% + QST",
      request = {
        currency = "CAD", date = "2019-09-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "Ontario seller 2019-08-31, goods: GST 5% only",
      request = {
        currency = "CAD", date = "2019-08-31",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Quebec seller 2018-12-31: GST + QST (established in Quebec)",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Quebec", state = "QC", zip_code = "G1R 4P5", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },

    { name = "general goods: GST 5% + QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "$100.00: GST 5.00 + QST 9.98 (9.975 rounds half up)",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98" } } } },
    -- a single 14.975% rate would give 0.1647 -> 0.16
    { name = "$1.10: GST 0.055 -> 0.06 and QST 0.109725 -> 0.11, rounded separately",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "1.10", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "0.17", lines = { { tax = "0.17" } } } },
    { name = "professional services: GST + QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98" } } } },
  },
}
