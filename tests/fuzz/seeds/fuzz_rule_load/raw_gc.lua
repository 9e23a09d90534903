setmetatable({}, {__gc = function() while true do end end})
return { region = 'SG', name = 'x', tax_type = 'GST', taxability = { default = 'taxable' } }
