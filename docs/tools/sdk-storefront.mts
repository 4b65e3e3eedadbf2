// The storefront's calls with the real @commercelayer/sdk (the version
// pinned in package-lock.json) against a running Kasse: `make sdk-check`
// compiles this file (tsconfig.sdk.json, to
// generated/sdk/sdk-storefront.mjs), starts bin/kasse on a fresh demo
// database and runs it with node. Every call must answer (an SDK error, a
// 404 among them, fails the check), and the order's shipping and taxes
// must be the demo's exactly.
//
// Environment: KASSE_URL (the server's origin), KASSE_INTEGRATION_ID and
// KASSE_INTEGRATION_SECRET (an integration application), KASSE_CLIENT_ID
// (a sales channel with the market eu).
import {
  CommerceLayer,
  addresses,
  line_items,
  markets,
  orders,
  organization,
  shipments,
  shipping_methods,
  skus,
  stock_items,
  stock_locations,
  tax_calculators,
} from "@commercelayer/sdk";

// Node's process, as far as this script uses it (the check installs no
// @types/node).
declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

const mug = "MUGXXXXX000000FFFFFFXX"; // €12.00 in the demo's eu market

function env(name: string): string {
  const v = process.env[name];
  if (!v) fail("setup", `${name} is not set`);
  return v;
}

function fail(step: string, why: string): never {
  console.error(`sdk-storefront: FAIL ${step}: ${why}`);
  process.exit(1);
}

// describe is an SDK error (ApiError: status and the JSON:API errors) or
// any other error, in one line.
function describe(err: unknown): string {
  const e = err as { status?: number; errors?: { code?: string; detail?: string }[]; message?: string };
  if (e && e.status !== undefined) {
    const first = e.errors?.[0];
    return `HTTP ${e.status}${first ? ` ${first.code}: ${first.detail}` : ""}`;
  }
  return e?.message ?? String(err);
}

// step runs one call; it fails the check with the call's name on any
// error, and on a result check returning a complaint.
async function step<T>(name: string, call: () => Promise<T>, check: (r: T) => string | undefined, show: (r: T) => string): Promise<T> {
  let r: T;
  try {
    r = await call();
  } catch (err) {
    fail(name, describe(err));
  }
  const complaint = check(r);
  if (complaint) fail(name, complaint);
  console.log(`ok   ${name}: ${show(r)}`);
  return r;
}

const kasse = env("KASSE_URL").replace(/\/$/, "");

// token is an access token from Kasse's token endpoint.
async function token(body: Record<string, string>): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${kasse}/oauth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch (err) {
    fail("POST /oauth/token", describe(err));
  }
  const doc = (await res.json().catch(() => ({}))) as { access_token?: string };
  if (res.status !== 200 || !doc.access_token) fail("POST /oauth/token", `HTTP ${res.status} for ${body.client_id}`);
  return doc.access_token;
}

// answered records every response the SDK got: a failed one the SDK
// did not throw on still fails the check.
const answered: string[] = [];

async function main(): Promise<void> {
  const storefront = await token({ grant_type: "client_credentials", client_id: env("KASSE_CLIENT_ID"), scope: "market:code:eu" });
  const integration = await token({ grant_type: "client_credentials", client_id: env("KASSE_INTEGRATION_ID"), client_secret: env("KASSE_INTEGRATION_SECRET") });
  const asIntegration = { accessToken: integration };

  // The SDK calls https://{organization}.{domain}/api: its fetch sends
  // that to Kasse instead (docs/clients.md).
  CommerceLayer({
    organization: "kasse",
    domain: "kasse.invalid",
    accessToken: storefront,
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input).replace("https://kasse.kasse.invalid", kasse);
      const res = await fetch(url, init);
      answered.push(`${init?.method ?? "GET"} ${url.slice(kasse.length)} ${res.status}`);
      return res;
    },
  });

  await step("organization.retrieve", () => organization.retrieve(), (o) => (o.name ? undefined : "no name"), (o) => `${o.name} (${o.slug})`);
  await step(
    "shipping_methods.list",
    () => shipping_methods.list({ sort: { name: "asc" } }),
    (list) => (list.some((m) => m.name === "Standard Shipping" && m.price_amount_cents === 700) ? undefined : "no Standard Shipping at €7.00"),
    (list) => list.map((m) => `${m.name} ${m.formatted_price_amount}`).join(", "),
  );
  // Stock and tax calculators are the back office's: the integration's token.
  const locations = await step(
    "stock_locations.list (integration)",
    () => stock_locations.list({}, asIntegration),
    (list) => (list.length > 0 ? undefined : "no stock location"),
    (list) => list.map((l) => l.name).join(", "),
  );
  await step(
    "stock_items.list (integration)",
    () => stock_items.list({ filters: { sku_code_eq: mug } }, asIntegration),
    (list) => (list.length === 1 && (list[0].quantity ?? 0) > 0 ? undefined : `${list.length} stock items of ${mug}`),
    (list) => `${mug}: ${list[0].quantity} at ${locations[0].name}`,
  );
  await step(
    "skus.list (inventory)",
    () => skus.list({ filters: { code_eq: mug } }),
    (list) => {
      const inv = list[0]?.inventory as { available?: boolean; quantity?: number } | null | undefined;
      return list.length === 1 && inv?.available === true && (inv.quantity ?? 0) > 0 ? undefined : `inventory ${JSON.stringify(inv)}`;
    },
    (list) => `${list[0].code} inventory ${JSON.stringify(list[0].inventory)}`,
  );
  await step(
    "tax_calculators.list (integration)",
    () => tax_calculators.list({}, asIntegration),
    (list) => (list.some((c) => c.name === "EU VAT") ? undefined : "no EU VAT"),
    (list) => list.map((c) => `${c.type} ${c.name}`).join(", "),
  );

  // A cart in eu with another shipping method than the market's default.
  const eu = await step(
    "markets.list (integration)",
    () => markets.list({ filters: { code_eq: "eu" } }, asIntegration),
    (list) => (list.length === 1 ? undefined : `${list.length} markets eu`),
    (list) => list[0].name,
  );
  const express = await step(
    "shipping_methods.create (integration)",
    () => shipping_methods.create({ name: "Express (SDK check)", price_amount_cents: 1500, market: markets.relationship(eu[0].id) }, {}, asIntegration),
    (m) => (m.currency_code === "EUR" ? undefined : `currency ${m.currency_code}`),
    (m) => `${m.name} ${m.formatted_price_amount}`,
  );
  const order = await step("orders.create", () => orders.create({ customer_email: "sdk-check@example.com" }), (o) => (o.id ? undefined : "no id"), (o) => o.id);
  await step(
    "line_items.create",
    () => line_items.create({ order: orders.relationship(order.id), sku_code: mug, quantity: 2 }),
    (li) => (li.total_amount_cents === 2400 ? undefined : `total ${li.total_amount_cents}`),
    (li) => `${li.quantity} × ${li.sku_code} ${li.formatted_total_amount}`,
  );
  const address = await step(
    "addresses.create",
    () => addresses.create({ first_name: "Ada", last_name: "Lovelace", line_1: "Via Roma 1", city: "Roma", zip_code: "00100", state_code: "RM", country_code: "IT", phone: "+39 06 0000 0000" }),
    (a) => (a.country_code === "IT" ? undefined : `country ${a.country_code}`),
    (a) => `${a.city} ${a.country_code}`,
  );
  await step(
    "orders.update (shipping and billing address)",
    () => orders.update({ id: order.id, shipping_address: addresses.relationship(address.id), billing_address: addresses.relationship(address.id) }),
    (o) => (o.country_code === "IT" ? undefined : `country ${o.country_code}`),
    (o) => `country ${o.country_code}`,
  );
  const withShipments = await step(
    "orders.retrieve (include shipments)",
    () => orders.retrieve(order.id, { include: ["shipments"] }),
    (o) => (o.shipments?.length === 1 ? undefined : `${o.shipments?.length ?? 0} shipments`),
    (o) => `shipment ${o.shipments?.[0].number}`,
  );
  const shipment = withShipments.shipments![0];
  await step(
    "orders.shipments",
    () => orders.shipments(order.id),
    (list) => (list.length === 1 && list[0].id === shipment.id ? undefined : `${list.length} shipments`),
    (list) => `${list.length} shipment`,
  );
  await step(
    "shipments.update (shipping_method)",
    () => shipments.update({ id: shipment.id, shipping_method: shipping_methods.relationship(express.id) }, { include: ["shipping_method"] }),
    (s) => (s.shipping_method?.id === express.id ? undefined : `shipping method ${s.shipping_method?.id}`),
    (s) => `${s.number} by ${s.shipping_method?.name}`,
  );
  // 2 mugs €24.00 and express €15.00, Italian VAT 22 % included: 24.00 ×
  // 0.22 / 1.22 = 4.33 and 15.00 → 2.70.
  await step(
    "orders.retrieve (shipping and taxes)",
    () => orders.retrieve(order.id),
    (o) =>
      (o.shipping_amount_cents ?? 0) > 0 && (o.total_tax_amount_cents ?? 0) > 0 && o.shipping_amount_cents === 1500 && o.total_tax_amount_cents === 433 + 270 &&
      o.total_amount_with_taxes_cents === 3900
        ? undefined
        : `shipping ${o.shipping_amount_cents}, tax ${o.total_tax_amount_cents}, total ${o.total_amount_with_taxes_cents} (want 1500, 703, 3900)`,
    (o) => `shipping ${o.formatted_shipping_amount}, tax ${o.formatted_total_tax_amount}, total ${o.formatted_total_amount_with_taxes}`,
  );

  const failed = answered.filter((a) => !/ [23]\d\d$/.test(a));
  if (failed.length > 0) fail("responses", failed.join("; "));
  console.log(`sdk-storefront: ${answered.length} SDK requests, all answered`);
}

// A server that stops answering fails the check too, instead of hanging it.
// (Node's timer: unref lets the script end before it.)
(setTimeout(() => fail("timeout", "no end within 60 s"), 60_000) as unknown as { unref(): void }).unref();
main().catch((err) => fail("unexpected", describe(err)));
