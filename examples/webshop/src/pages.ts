import type { Customer, Product } from '@connected-cloud/client';
import type { ShopOrder } from './store.js';
import escapeHtml from 'escape-html';

const esc = (s: unknown) => escapeHtml(String(s ?? ''));

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Garden Shop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}label{display:block;margin:.4rem 0 .1rem;font-weight:600}
.passcode{font-size:2rem;letter-spacing:.2em;font-weight:700}</style></head>
<body><header><p><strong>Garden Shop</strong> — a sample application on Connected Cloud</p></header><main>${body}</main></body></html>`;
}

export function registerPage(registrationUrl?: string): string {
  return page(
    'Set up',
    `<h1>Set up the shop</h1>
<section><h2>1. Register as a developer</h2>
<form method="post" action="/register"><label for="name">Your name</label><input id="name" name="name" required>
<label for="email">Your e-mail</label><input id="email" name="email" type="email" required>
<p><button type="submit">Register</button></p></form>
${registrationUrl ? `<p>Finish your registration: <a id="registration-link" href="${esc(registrationUrl)}">complete it on Connected Cloud</a>. The IDs come by e-mail.</p>` : ''}</section>
<section><h2>2. Enter what the e-mail says</h2>
<form method="post" action="/setup"><label for="developerId">Developer ID</label><input id="developerId" name="developerId" required>
<label for="applicationId">Application ID</label><input id="applicationId" name="applicationId" required>
<label for="webhookSecret">Webhook signing secret</label><input id="webhookSecret" name="webhookSecret" required>
<p><button type="submit">Save</button></p></form></section>`,
  );
}

export function connectPage(passcode?: { passcode: string; expires: string }): string {
  return page(
    'Connect',
    `<h1>Connect your accounting</h1>
${passcode ? `<p>Type this passcode into your accounting product (<em>Enable external integration</em>):</p><p class="passcode" id="passcode">${esc(passcode.passcode)}</p>
<p>It expires at ${esc(passcode.expires.slice(11, 16))} UTC. This page shows the shop once you have granted access: <a href="/">refresh</a>.</p>` : ''}
<form method="post" action="/connect"><button type="submit">${passcode ? 'New passcode' : 'Connect your accounting'}</button></form>`,
  );
}

export function shopPage(opts: { accounting: string; products: Product[]; productCount: number; customers: Customer[]; customerCount: number; orders: ShopOrder[]; error?: string }): string {
  const options = <T>(xs: T[], value: (x: T) => string, label: (x: T) => string) => xs.map((x) => `<option value="${esc(value(x))}">${esc(label(x))}</option>`).join('');
  return page(
    'Shop',
    `<h1>Garden Shop</h1><p>Connected to ${esc(opts.accounting)}: <span id="product-count">${opts.productCount}</span> products and <span id="customer-count">${opts.customerCount}</span> customers mirrored.</p>
${opts.error ? `<p role="alert">${esc(opts.error)}</p>` : ''}
<section><h2>Place an order</h2><form method="post" action="/orders">
<label for="customer">Customer</label><select id="customer" name="customer">${options(opts.customers, (c) => c.id, (c) => `${c.firstName} ${c.lastName} (${c.id})`)}</select>
<label for="product">Product</label><select id="product" name="product">${options(opts.products, (p) => p.id, (p) => `${p.name} — £${p.netPrice} (${p.stockQuantity ?? '?'} in stock)`)}</select>
<label for="quantity">Quantity</label><input id="quantity" name="quantity" type="number" min="1" value="1" required>
<p><button type="submit">Place order</button></p></form></section>
<section><h2>Orders</h2><table id="orders"><thead><tr><th scope="col">Order</th><th scope="col">Customer</th><th scope="col">Items</th><th scope="col">Status</th><th scope="col">Accounting</th></tr></thead><tbody>
${opts.orders.map((o) => `<tr data-order="${esc(o.id)}"><td>${esc(o.id)}</td><td>${esc(o.customer_name)}</td><td>${esc(o.summary)}</td><td class="status">${esc(o.status)}</td><td class="outcome">${esc(o.document_number ?? o.reasons ?? '')}</td></tr>`).join('\n')}
</tbody></table></section>
<section><h2>Products</h2><table id="products"><thead><tr><th scope="col">Product</th><th scope="col">Price</th><th scope="col">Stock</th></tr></thead><tbody>
${opts.products.map((p) => `<tr data-product="${esc(p.id)}"><td>${esc(p.name)}</td><td>£${esc(p.netPrice)}</td><td class="stock">${esc(p.stockQuantity ?? '')}</td></tr>`).join('\n')}
</tbody></table></section>`,
  );
}
