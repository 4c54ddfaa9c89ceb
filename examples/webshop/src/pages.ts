import type { Customer, Product } from '@connected-cloud/client';
import type { Page, ShopOrder, ShopUpload } from './store.js';
import escapeHtml from 'escape-html';

const esc = (s: string | number | boolean | null | undefined) => escapeHtml(s == null ? '' : String(s));
const money = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });
const count = new Intl.NumberFormat('en-GB');
const when = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso)) +
  ' UTC';

/** Prices as people read them: £5.30, £1,234.00. */
export const price = (pounds: number) => money.format(pounds);

/** Every form's hidden CSRF field (main.ts checks it on every POST). */
export const csrfField = (token: string) => `<input type="hidden" name="_csrf" value="${esc(token)}">`;

/**
 * The page shell. `live`: the page asks the shop every two seconds whether anything it shows changed (an event
 * came) and reloads itself when so, unless a form on it is being filled in (then it says so instead); without
 * JavaScript it is an ordinary page.
 */
export function page(title: string, body: string, opts: { live?: number; reloadTo?: string } = {}): string {
  // A page that answered a POST is reloaded by going to reloadTo: reloading it would send the form again.
  const reload = opts.reloadTo ? `location.assign(${JSON.stringify(opts.reloadTo)})` : 'location.reload()';
  const live =
    opts.live === undefined
      ? ''
      : `<p id="live-note" role="status" hidden>Something changed: <a href="${esc(opts.reloadTo ?? '')}">show it</a>.</p>
<script>(function(){var g=${opts.live},dirty=false,mark=function(){dirty=true};
document.addEventListener('input',mark);document.addEventListener('change',mark);
setInterval(function(){fetch('/live').then(function(r){return r.json()}).then(function(d){if(d.generation===g)return;
if(dirty)document.getElementById('live-note').hidden=false;else ${reload}}).catch(function(){})},2000)})()</script>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Garden Shop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}label{display:block;margin:.4rem 0 .1rem;font-weight:600}
.passcode{font-size:2rem;letter-spacing:.2em;font-weight:700}.num{text-align:right}.notice{padding:.6rem;border-left:4px solid #8a5a00;background:#fdf5e6}
.error{padding:.6rem;border-left:4px solid #a4262c;background:#fbeeee}.ok{color:#2e6b30}.bad{color:#a4262c}
nav.pager{display:flex;gap:1rem;align-items:center;margin:.4rem 0}.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}fieldset{border:1px solid #ccc;margin:.4rem 0}</style></head>
<body><header><p><strong>Garden Shop</strong> — a sample application on Connected Cloud</p></header><main>${body}</main>${live}</body></html>`;
}

/** A page that says what went wrong and what to do, never a raw error. */
export function errorPage(opts: { status: number; title: string; message: string; back?: string }): string {
  return page(
    opts.title,
    `<h1>${esc(opts.title)}</h1><p class="error" role="alert">${esc(opts.message)}</p>
<p><a href="${esc(opts.back ?? '/')}">Back to the shop</a></p>`,
  );
}

export function registerPage(csrf: string, registrationUrl?: string): string {
  return page(
    'Set up',
    `<h1>Set up the shop</h1>
<section><h2>1. Register as a developer</h2>
<form method="post" action="/register">${csrfField(csrf)}<label for="name">Your name</label><input id="name" name="name" required>
<label for="email">Your e-mail</label><input id="email" name="email" type="email" required>
<p><button type="submit">Register</button></p></form>
${registrationUrl ? `<p>Finish your registration: <a id="registration-link" href="${esc(registrationUrl)}">complete it on Connected Cloud</a>. The IDs come by e-mail.</p>` : ''}</section>
<section><h2>2. Enter what the e-mail says</h2>
<form method="post" action="/setup">${csrfField(csrf)}<label for="developerId">Developer ID</label><input id="developerId" name="developerId" required>
<label for="applicationId">Application ID</label><input id="applicationId" name="applicationId" required>
<label for="webhookSecret">Webhook signing secret</label><input id="webhookSecret" name="webhookSecret" required>
<p><button type="submit">Save</button></p></form></section>`,
  );
}

export function connectPage(opts: {
  csrf: string;
  generation: number;
  passcode?: { passcode: string; expires: string };
  disconnected?: { at: string; accounting?: string };
  denied?: boolean;
}): string {
  const { passcode, disconnected } = opts;
  return page(
    disconnected ? 'Disconnected' : 'Connect',
    `<h1>${disconnected ? 'Disconnected' : 'Connect your accounting'}</h1>
${disconnected ? `<p class="notice" role="status" id="connection">Disconnected: ${esc(disconnected.accounting ?? 'the accounting product')} ended the connection on ${esc(when(disconnected.at))}. Orders cannot be sent until you reconnect; the shop keeps its orders and what it knew.</p>` : ''}
${opts.denied && !passcode ? '<p class="notice" role="status">The last request was denied in the accounting product.</p>' : ''}
${
  passcode
    ? `<p>Type this passcode into your accounting product (<em>Enable external integration</em>):</p><p class="passcode" id="passcode">${esc(passcode.passcode)}</p>
<p>It expires at ${esc(passcode.expires.slice(11, 16))} UTC. This page moves on by itself once you have granted access.</p>`
    : ''
}
<form method="post" action="/connect">${csrfField(opts.csrf)}<button type="submit">${passcode ? 'New passcode' : disconnected ? 'Reconnect your accounting' : 'Connect your accounting'}</button></form>`,
    { live: opts.generation, ...(passcode ? { reloadTo: '/' } : {}) },
  );
}

/** An order's status in plain words. */
export function orderStatus(o: ShopOrder): { text: string; tone: '' | 'ok' | 'bad' } {
  switch (o.status) {
    case 'uploaded':
      return { text: 'Sent, being checked', tone: '' };
    case 'valid':
      return { text: 'Waiting for the accounting to book it', tone: '' };
    case 'invalid':
      return { text: 'Not sent: the order was not valid', tone: 'bad' };
    case 'accepted':
      return { text: `Booked as ${o.document_number}`, tone: 'ok' };
    case 'rejected':
      return o.reasons?.startsWith('duplicate-order')
        ? { text: 'Already booked before: not booked twice', tone: 'ok' }
        : { text: 'Refused by the accounting', tone: 'bad' };
    default:
      return { text: o.status, tone: '' };
  }
}

/** An upload's outcome in plain words, from the platform's summary. */
export function uploadOutcome(u: ShopUpload): string {
  const n = (k: number) => `${k} order${k === 1 ? '' : 's'}`;
  if (u.status === 'uploaded' || u.status === 'valid') return `${n(u.orders)} sent, waiting for the accounting`;
  if (u.status === 'invalid') return `${n(u.orders)} not sent: not valid`;
  if (u.accepted === null || u.rejected === null) return u.status;
  if (u.rejected === 0) return `All ${n(u.orders)} booked`;
  if (u.accepted === 0) return `None of ${n(u.orders)} booked: ${u.rejected} refused`;
  return `${u.accepted} of ${n(u.orders)} booked, ${u.rejected} refused`;
}

function pager(name: 'products' | 'customers', p: Page<unknown>, state: Record<string, string>): string {
  const link = (to: number) => `/?${new URLSearchParams({ ...state, [`${name[0]}p`]: String(to) }).toString()}#${name}`;
  return `<nav class="pager" aria-label="${name} pages">
${p.page > 1 ? `<a href="${esc(link(p.page - 1))}" rel="prev">Previous</a>` : ''}
<span>Page ${p.page} of ${p.pages} (${count.format(p.total)} ${name}${p.q ? ` matching “${esc(p.q)}”` : ''})</span>
${p.page < p.pages ? `<a href="${esc(link(p.page + 1))}" rel="next">Next</a>` : ''}</nav>`;
}

function search(name: 'products' | 'customers', p: Page<unknown>, state: Record<string, string>): string {
  const key = `${name[0]}q`;
  const keep = Object.entries(state)
    .filter(([k]) => k !== key && k !== `${name[0]}p`)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return `<form method="get" action="/#${name}" role="search">${keep}<label for="${key}">Search ${name}</label>
<input id="${key}" name="${key}" value="${esc(p.q)}" type="search"> <button type="submit">Search</button></form>`;
}

export function shopPage(opts: {
  csrf: string;
  generation: number;
  accounting: string;
  products: Page<Product>;
  customers: Page<Customer>;
  chosen: { customer?: Customer | undefined; product?: Product | undefined };
  state: Record<string, string>;
  orders: ShopOrder[];
  uploads: ShopUpload[];
  stockAsOf?: string | undefined;
}): string {
  const { products, customers, chosen } = opts;
  // The lists to choose from: the current page of each table, and whatever was chosen from another page.
  const customerChoices = [
    ...(chosen.customer && !customers.items.some((c) => c.id === chosen.customer!.id) ? [chosen.customer] : []),
    ...customers.items,
  ];
  const productChoices = [
    ...(chosen.product && !products.items.some((p) => p.id === chosen.product!.id) ? [chosen.product] : []),
    ...products.items,
  ];
  const options = <T extends { id: string }>(xs: T[], label: (x: T) => string, selected?: string, none?: string) =>
    (none ? `<option value="">${esc(none)}</option>` : '') +
    xs
      .map((x) => `<option value="${esc(x.id)}"${x.id === selected ? ' selected' : ''}>${esc(label(x))}</option>`)
      .join('');
  const productLabel = (p: Product) =>
    `${p.name} — ${price(p.netPrice)} + VAT ${p.tax}% (${p.stockQuantity ?? '?'} in stock)`;
  const line = (i: number) => `<fieldset><legend>Order ${i + 1}${i ? ' (optional)' : ''}</legend>
<label for="customer-${i}">Customer</label><select id="customer-${i}" name="customer">${options(customerChoices, (c) => `${c.firstName} ${c.lastName} (${c.id})`, chosen.customer?.id)}</select>
<label for="product-${i}">Product</label><select id="product-${i}" name="product">${options(productChoices, productLabel, i === 0 ? chosen.product?.id : undefined, i ? '— none —' : undefined)}</select>
<label for="quantity-${i}">Quantity</label><input id="quantity-${i}" name="quantity" type="number" min="1" value="1" required></fieldset>`;
  const keep = (extra: Record<string, string>) => `/?${new URLSearchParams({ ...opts.state, ...extra }).toString()}`;
  return page(
    'Shop',
    `<h1>Garden Shop</h1><p id="connection" role="status">Connected to ${esc(opts.accounting)}: <span id="product-count">${products.q ? '' : products.total}</span> products and <span id="customer-count">${customers.q ? '' : customers.total}</span> customers mirrored.</p>
<section aria-labelledby="place"><h2 id="place">Place orders</h2>
<p>Each order goes to the accounting as it is; several go in one upload. Prices are before VAT.</p>
<form method="post" action="/orders">${csrfField(opts.csrf)}${line(0)}${line(1)}${line(2)}
<p><button type="submit">Place orders</button></p></form></section>
<section aria-labelledby="uploads-h"><h2 id="uploads-h">Uploads</h2>
${
  opts.uploads.length === 0
    ? '<p>None yet.</p>'
    : `<table id="uploads"><thead><tr><th scope="col">Sent</th><th scope="col">Outcome</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${opts.uploads
  .map(
    (
      u,
    ) => `<tr data-upload="${esc(u.id)}"><td>${esc(when(u.created_at))}</td><td class="summary">${esc(uploadOutcome(u))}</td>
<td><form method="post" action="/uploads/${esc(encodeURIComponent(u.id))}/resend">${csrfField(opts.csrf)}<button type="submit">Send these orders again</button></form></td></tr>`,
  )
  .join('\n')}
</tbody></table>`
}</section>
<section aria-labelledby="orders-h"><h2 id="orders-h">Orders</h2>
${
  opts.orders.length === 0
    ? '<p>None yet.</p>'
    : `<table id="orders"><thead><tr><th scope="col">Order</th><th scope="col">Customer</th><th scope="col">Items</th><th scope="col">Status</th><th scope="col">Why</th></tr></thead><tbody>
${opts.orders
  .map((o) => {
    const s = orderStatus(o);
    return `<tr data-order="${esc(o.id)}" data-state="${esc(o.status)}"><td>${esc(o.id)}</td><td>${esc(o.customer_name)}</td><td>${esc(o.summary)}</td><td class="status ${s.tone}">${esc(s.text)}</td><td class="outcome">${esc(o.status === 'accepted' ? (o.document_number ?? '') : (o.reasons ?? ''))}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`
}</section>
<section aria-labelledby="products"><h2 id="products">Products</h2>
<p>Stock as the accounting last sent it${opts.stockAsOf ? ` (${esc(when(opts.stockAsOf))})` : ''}: it sends new stock right after it books orders.</p>
${search('products', products, opts.state)}${pager('products', products, opts.state)}
<table id="product-table"><thead><tr><th scope="col">Product</th><th scope="col" class="num">Price</th><th scope="col" class="num">VAT</th><th scope="col" class="num">Stock</th><th scope="col"><span class="visually-hidden">Choose</span></th></tr></thead><tbody>
${products.items.map((p) => `<tr data-product="${esc(p.id)}"><td>${esc(p.name)}</td><td class="num price">${esc(price(p.netPrice))}</td><td class="num">${esc(p.tax)}%</td><td class="num stock">${esc(p.stockQuantity ?? '')}</td><td><a href="${esc(keep({ product: p.id }))}#place">Choose</a></td></tr>`).join('\n')}
</tbody></table></section>
<section aria-labelledby="customers"><h2 id="customers">Customers</h2>
${search('customers', customers, opts.state)}${pager('customers', customers, opts.state)}
<table id="customer-table"><thead><tr><th scope="col">Customer</th><th scope="col">E-mail</th><th scope="col"><span class="visually-hidden">Choose</span></th></tr></thead><tbody>
${customers.items.map((c) => `<tr data-customer="${esc(c.id)}"><td>${esc(c.firstName)} ${esc(c.lastName)} (${esc(c.id)})</td><td>${esc(c.email)}</td><td><a href="${esc(keep({ customer: c.id }))}#place">Choose</a></td></tr>`).join('\n')}
</tbody></table></section>`,
    { live: opts.generation },
  );
}
