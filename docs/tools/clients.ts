// The TypeScript snippets of docs/clients.md, type-checked by `make
// docs-check` against the clients' own types (versions pinned in
// package-lock.json) and the types openapi-typescript generates from
// docs/openapi.json. Keep the two in step: each block here is one there.
import { CommerceLayer, line_items, orders, skus } from "@commercelayer/sdk";
import Jsona from "jsona";
import Kitsu from "kitsu";
import createClient from "openapi-fetch";
import type { paths } from "./generated/openapi";

const kasse = "http://127.0.0.1:8080";

// --- @commercelayer/sdk (v7, tree-shakable resources) ---
// The SDK calls https://{organization}.{domain}/api: its fetch sends that
// to Kasse instead.
async function withSdk(accessToken: string): Promise<string> {
  CommerceLayer({
    organization: "kasse",
    domain: "kasse.invalid",
    accessToken,
    fetch: (input, init) => fetch(String(input instanceof Request ? input.url : input).replace("https://kasse.kasse.invalid", kasse), init),
  });
  const tshirts = await skus.list({ filters: { code_start: "TSHIRT" }, pageSize: 5 });
  const order = await orders.create({});
  await line_items.create({ order: orders.relationship(order.id), sku_code: tshirts[0].code, quantity: 1 });
  // The same SKU again, added to its line item instead of a new one.
  await line_items.create({ order: orders.relationship(order.id), sku_code: tshirts[0].code, quantity: 1, _update_quantity: true });
  const placed = await orders.retrieve(order.id, { include: ["line_items"] });
  return placed.formatted_total_amount ?? "";
}

// --- jsona: JSON:API documents to plain objects and back ---
async function withJsona(accessToken: string): Promise<unknown[]> {
  const jsona = new Jsona();
  const res = await fetch(`${kasse}/api/skus?filter[q][code_start]=TSHIRT&include=prices`, {
    headers: { Accept: "application/vnd.api+json", Authorization: `Bearer ${accessToken}` },
  });
  const skus = jsona.deserialize(await res.json());
  const body = jsona.serialize({ stuff: { type: "orders", metadata: { channel: "web" } } });
  await fetch(`${kasse}/api/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/vnd.api+json", Accept: "application/vnd.api+json", Authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(body),
  });
  return Array.isArray(skus) ? skus : [skus];
}

// --- kitsu: Kasse's type and attribute names are already plural snake_case ---
async function withKitsu(accessToken: string): Promise<unknown> {
  const api = new Kitsu({
    baseURL: `${kasse}/api`,
    pluralize: false,
    camelCaseTypes: false,
    resourceCase: "none",
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  const { data } = await api.get("skus", { params: { filter: { q: { code_start: "TSHIRT" } }, page: { size: 5 } } });
  await api.post("orders", { type: "orders", metadata: { channel: "web" } });
  return data;
}

// --- openapi-fetch: typed from docs/openapi.json, with its defaults ---
async function withOpenapiFetch(accessToken: string): Promise<string[]> {
  const client = createClient<paths>({ baseUrl: kasse, headers: { Authorization: `Bearer ${accessToken}` } });
  const { data, error } = await client.GET("/api/skus", {
    params: { query: { "filter[q]": { code_start: "TSHIRT" }, fields: { skus: "code,name" }, "page[size]": 5 } },
  });
  if (error) throw new Error(error.errors[0].detail);
  const created = await client.POST("/api/orders", { body: { data: { type: "orders" } } });
  void created;
  return data.data.map((sku) => sku.attributes.code ?? "");
}

export { withSdk, withJsona, withKitsu, withOpenapiFetch };
