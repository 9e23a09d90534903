local store = require 'levy.store'
local t = setmetatable({ default = 'taxable' }, { __index = function(t, k) return store end })
return { region = 'SG', name = 'x', tax_type = 'GST', taxability = t,
  calculate = function(ctx) local c = require 'levy.crypto' end }
