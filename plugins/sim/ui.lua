-- The simulator web UI: the one copy of its page (plugins cannot read files, so the page
-- lives here, not beside it as an .html file). Edit it here; `GET /` and `GET /ui` serve it.
local M = {}

local PAGE = [==[
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rillet simulator (levy sim)</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#20263a;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}
header b{font-size:16px} header a{color:#c9d3ff;text-decoration:none} header a.on{color:#fff;border-bottom:2px solid #fff}
main{padding:20px;max-width:1200px} section{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#555} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{background:#f0f2f6;padding:2px 5px;border-radius:4px;font-size:12.5px} pre{padding:10px;overflow:auto;white-space:pre-wrap}
input,select{font:inherit;padding:3px 5px;border:1px solid #c5cad3;border-radius:4px} input.s{width:70px} input.m{width:120px}
button{font:inherit;padding:4px 12px;border-radius:4px;border:1px solid #3b5bdb;background:#3b5bdb;color:#fff;cursor:pointer}
button.ghost{background:#fff;color:#3b5bdb} .err{color:#b42318;white-space:pre-wrap} .ok{color:#067647}
.tag{display:inline-block;padding:0 6px;border-radius:9px;background:#eef;font-size:12px} .grid{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
fieldset{border:1px solid #dde1e8;border-radius:6px} a.row{cursor:pointer;color:#3b5bdb}
</style></head><body>
<header><b>Rillet simulator</b><a href="#api" id="n-api">API access</a><a href="#webhooks" id="n-webhooks">Webhooks</a>
<a href="#invoices" id="n-invoices">Invoices</a><span style="margin-left:auto;font-size:12px" id="who"></span></header>
<main id="main">Loading…</main>
<script>
"use strict";
let INFO=null;
const $=(s,e=document)=>e.querySelector(s);
const esc=s=>String(s??"").replace(/[&<>"']/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
async function api(method,path,body){
  const h={"Authorization":"Bearer "+INFO.api_key,"X-Rillet-API-Version":"4"};
  if(body!==undefined)h["Content-Type"]="application/json";
  const r=await fetch(path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
  const t=await r.text(); let j=null; try{j=t?JSON.parse(t):null}catch(e){}
  if(!r.ok)throw new Error(r.status+" "+(j&&(j.detail||j.title)||t));
  return j;
}
async function ctl(method,path,body){
  const r=await fetch(path,{method,headers:body?{"Content-Type":"application/json"}:{},body:body?JSON.stringify(body):undefined});
  const j=await r.json().catch(()=>null); if(!r.ok)throw new Error(r.status+" "+(j&&j.detail||""));return j;
}
function nav(){document.querySelectorAll("header a").forEach(a=>a.classList.toggle("on",location.hash.startsWith(a.getAttribute("href"))));}
async function route(){
  nav(); const h=location.hash||"#api"; const m=$("#main");
  try{
    if(h.startsWith("#invoice/"))return await editor(m,h.slice(9));
    if(h==="#webhooks")return await webhooks(m);
    if(h.startsWith("#invoices"))return await invoices(m,h.split("?cursor=")[1]);
    return apiPage(m);
  }catch(e){m.innerHTML='<section class="err">'+esc(e.message)+'</section>';}
}
function apiPage(m){
  const k=INFO.api_key,u=INFO.url;
  m.innerHTML=`<section><h2>API access</h2><p>Demo API key (seed ${INFO.seed}):</p><pre id="key">${esc(k)}</pre>
  <p>Base URL: <code>${esc(u)}</code> — send <code>Authorization: Bearer &lt;key&gt;</code> and <code>X-Rillet-API-Version: 4</code>.</p>
  <pre>curl -H 'Authorization: Bearer ${esc(k)}' -H 'X-Rillet-API-Version: 4' ${esc(u)}/organizations/self
curl -H 'Authorization: Bearer ${esc(k)}' -H 'X-Rillet-API-Version: 4' '${esc(u)}/invoices?limit=5'</pre>
  <p>${INFO.invoices} invoices, ${INFO.credit_memos} credit memos, ${INFO.customers} customers, ${INFO.products} products.</p>
  <p><button class="ghost" id="newkey">Create another API key</button> <span id="nk"></span></p></section>`;
  $("#newkey").onclick=async()=>{const r=await ctl("POST","/_sim/api-keys",{name:"ui"});$("#nk").innerHTML="<code>"+esc(r.api_key)+"</code> (shown once)";};
}
const EVENTS={INVOICE:["CREATED","UPDATED","DELETED","PAYMENT_UPDATED"],CREDIT_MEMO:["CREATED","UPDATED","DELETED","PAYMENT_UPDATED"],CUSTOMER:["CREATED","UPDATED","DELETED"]};
async function webhooks(m){
  const [w,d]=await Promise.all([ctl("GET","/_sim/webhooks"),ctl("GET","/_sim/deliveries?limit=30")]);
  let boxes="";for(const [e,l] of Object.entries(EVENTS)){boxes+=`<fieldset><legend>${e}</legend>`+l.map(v=>`<label><input type="checkbox" data-e="${e}" value="${v}" ${e!=="CUSTOMER"?"checked":""}> ${v}</label><br>`).join("")+"</fieldset>";}
  m.innerHTML=`<section><h2>Create webhook</h2><p>URL <input id="wurl" size="60" placeholder="http://127.0.0.1:8080/webhooks/rillet/con_..."></p>
  <div class="grid">${boxes}</div><p><button id="wcreate">Create</button> <span id="wmsg"></span></p></section>
  <section><h2>Webhooks</h2><table><tr><th>URL</th><th>Events</th><th>Enabled</th><th>Signing token</th><th></th></tr>
  ${w.webhooks.map(x=>`<tr><td>${esc(x.url)}</td><td>${Object.entries(x.events).map(([k,v])=>esc(k)+": "+esc(v.join(", "))).join("<br>")}</td>
  <td>${x.enabled?"yes":"<span class=err>no</span> "+esc(x.disabled_reason||"")}</td><td><code>${esc(x.signing_token)}</code></td>
  <td><button class="ghost" data-t="${x.id}" data-en="${x.enabled?0:1}">${x.enabled?"Disable":"Enable"}</button></td></tr>`).join("")}</table></section>
  <section><h2>Recent deliveries</h2><table><tr><th>Time</th><th>Entity</th><th>Event</th><th>Object</th><th>State</th><th>Attempts</th><th>Last</th></tr>
  ${d.deliveries.map(x=>{const l=x.log[x.log.length-1];return `<tr><td>${esc(x.timestamp)}</td><td>${esc(x.entity)}</td><td>${esc(x.event)}</td><td>${esc(x.entity_id)}</td><td><span class="tag">${esc(x.state)}</span></td><td>${x.attempts}</td><td>${l?esc(l.status!==null?("HTTP "+l.status):l.error):""}</td></tr>`}).join("")}</table></section>`;
  $("#wcreate").onclick=async()=>{
    const ev={};document.querySelectorAll("input[data-e]:checked").forEach(c=>{(ev[c.dataset.e]=ev[c.dataset.e]||[]).push(c.value)});
    try{const r=await ctl("POST","/_sim/webhooks",{url:$("#wurl").value,events:ev,enabled:true});
      $("#wmsg").innerHTML='<span class=ok>Created. Signing token:</span> <code>'+esc(r.signing_token)+'</code>';setTimeout(route,4000);}
    catch(e){$("#wmsg").innerHTML='<span class=err>'+esc(e.message)+'</span>';}
  };
  document.querySelectorAll("button[data-t]").forEach(b=>b.onclick=async()=>{await ctl("PUT","/_sim/webhooks/"+b.dataset.t,{enabled:b.dataset.en==="1"});route();});
}
async function invoices(m,cursor){
  const [r,c]=await Promise.all([api("GET","/invoices?limit=25"+(cursor?"&cursor="+encodeURIComponent(cursor):"")),api("GET","/customers?limit=100")]);
  const names={};c.customers.forEach(x=>names[x.id]=x.name);
  const nc=r.pagination&&r.pagination.next_cursor;
  m.innerHTML=`<section><h2>Invoices</h2><table><tr><th>Number</th><th>Date</th><th>Customer</th><th>Ship-to</th><th>Status</th><th class=num>Net</th><th class=num>Tax</th><th class=num>Total</th><th class=num>Due</th></tr>
  ${r.invoices.map(i=>{const a=i.shipping_address||i.customer_address||{};return `<tr><td><a class=row href="#invoice/${i.id}">${esc(i.invoice_number)}</a></td><td>${esc(i.invoice_date)}</td><td>${esc(names[i.customer_id]||i.customer_id)}</td>
  <td>${esc([a.city,a.state,a.zip_code,a.country].filter(Boolean).join(", "))}</td><td><span class=tag>${esc(i.status)}</span></td><td class=num>${esc(i.net_amount.amount)}</td><td class=num>${esc(i.taxed_amount.amount)}</td>
  <td class=num>${esc(i.total.amount)} ${esc(i.total.currency)}</td><td class=num>${esc(i.amount_due.amount)}</td></tr>`}).join("")}</table>
  <p>${cursor?'<a href="#invoices">« first page</a> ':""}${nc?`<a href="#invoices?cursor=${encodeURIComponent(nc)}">next page »</a>`:""}</p></section>`;
}
function addrFields(p,a){a=a||{};return ["line1","line2","city","state","zip_code","country"].map(k=>`<label>${k} <input class="${k==="line1"?"":"m"}" data-a="${p}" data-k="${k}" value="${esc(a[k]||"")}"></label>`).join(" ");}
function readAddr(p){const o={};document.querySelectorAll(`input[data-a="${p}"]`).forEach(i=>{if(i.value)o[i.dataset.k]=i.value});return Object.keys(o).length?o:null;}
async function editor(m,id){
  const [inv,pr,td]=await Promise.all([api("GET","/invoices/"+id),api("GET","/products?limit=100"),ctl("GET","/_sim/invoices/"+id+"/tax-detail")]);
  const cur=inv.total.currency; const taxes={};td.lines.forEach(l=>taxes[l.id]=l.tax_rates);
  const opts=sel=>pr.products.map(p=>`<option value="${p.id}" ${p.id===sel?"selected":""}>${esc(p.name)}</option>`).join("");
  const line=l=>`<tr data-id="${esc(l.id||"")}"><td><input data-f="description" value="${esc(l.description)}" size="28"></td><td><select data-f="product_id">${opts(l.product_id)}</select></td>
   <td><input class=s data-f="quantity" value="${esc(l.quantity)}"></td><td><input class=m data-f="unit" value="${esc(l.gross_rate?l.gross_rate.amount:"0.00")}"></td>
   <td class=num>${esc(l.total_amount?l.total_amount.amount:"")}</td><td class=num>${esc(l.taxed_amount?l.taxed_amount.amount:"")}</td>
   <td>${(taxes[l.id]||[]).map(t=>`${esc(t.description)} ${esc(t.percentage)}% = ${esc(t.tax_amount.amount)}`).join("<br>")}</td><td><button class=ghost data-rm>✕</button></td></tr>`;
  m.innerHTML=`<section><h2>Invoice ${esc(inv.invoice_number)} <span class=tag>${esc(inv.status)}</span></h2>
  <p>Date <input type=date id="idate" value="${esc(inv.invoice_date)}"> Due <input type=date id="ddate" value="${esc(inv.due_date)}"> Memo <input id="memo" size=40 value="${esc(inv.memo||"")}"></p>
  <p><b>Bill-to</b><br>${addrFields("customer_address",inv.customer_address)}</p><p><b>Ship-to</b><br>${addrFields("shipping_address",inv.shipping_address)}</p>
  <table id="lines"><tr><th>Description</th><th>Product</th><th>Qty</th><th>Unit (${esc(cur)})</th><th class=num>Amount</th><th class=num>Tax</th><th>Tax lines (written via /taxes)</th><th></th></tr>${inv.items.map(line).join("")}</table>
  <p><button class=ghost id="add">Add line</button> <button id="save">Save</button> <span id="msg"></span></p>
  <p>Net ${esc(inv.net_amount.amount)} · Tax ${esc(inv.taxed_amount.amount)} · Total ${esc(inv.total.amount)} ${esc(cur)} · Amount due ${esc(inv.amount_due.amount)}
   ${td.taxes_calculated_at?` · taxes calculated at ${esc(td.taxes_calculated_at)} (${td.tax_writes} writes)`:" · no taxes written yet"}</p>
  <p>Record payment <input class=m id="pay" value="${esc(inv.amount_due.amount)}"> <button class=ghost id="paybtn">Pay</button>
   <button class=ghost id="del" style="margin-left:30px;color:#b42318;border-color:#b42318">Delete invoice</button></p></section>`;
  const wire=()=>document.querySelectorAll("button[data-rm]").forEach(b=>b.onclick=()=>b.closest("tr").remove());wire();
  $("#add").onclick=()=>{$("#lines").insertAdjacentHTML("beforeend",line({description:"New line",product_id:pr.products[0].id,quantity:1,gross_rate:{amount:"100.00"}}));wire();};
  $("#save").onclick=async()=>{
    const items=[...document.querySelectorAll("#lines tr[data-id]")].map(tr=>{const g=f=>tr.querySelector(`[data-f="${f}"]`).value;const it={description:g("description"),
      price:{product_id:g("product_id"),quantity:Number(g("quantity")),amount_per_unit:{amount:g("unit"),currency:cur}}};if(tr.dataset.id)it.id=tr.dataset.id;return it;});
    const body={invoice_date:$("#idate").value,due_date:$("#ddate").value,memo:$("#memo").value||null,items,customer_address:readAddr("customer_address"),shipping_address:readAddr("shipping_address")};
    try{await api("PUT","/invoices/"+id,body);$("#msg").innerHTML="<span class=ok>Saved — UPDATED webhook queued.</span>";setTimeout(route,1500);}
    catch(e){$("#msg").innerHTML='<span class=err>'+esc(e.message)+'</span>';}
  };
  $("#paybtn").onclick=async()=>{try{await api("POST","/invoices/"+id+"/payments",{amount:{amount:$("#pay").value,currency:cur},date:new Date().toISOString().slice(0,10),account_code:"1010"});route();}catch(e){$("#msg").innerHTML='<span class=err>'+esc(e.message)+'</span>';}};
  $("#del").onclick=async()=>{if(confirm("Delete this invoice?")){await api("DELETE","/invoices/"+id);location.hash="#invoices";}};
}
(async()=>{INFO=await ctl("GET","/_sim/info");$("#who").textContent=INFO.url+" · seed "+INFO.seed;window.onhashchange=route;route();})();
</script></body></html>
]==]

function M.html() return PAGE end

return M
