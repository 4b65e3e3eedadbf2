// Type-checked by `make docs-check` against the types openapi-typescript
// generates from docs/openapi.json (generated/openapi.ts): what a client
// written against the document would do must compile, and what the document
// forbids must not.
import type { components, operations, paths } from "./generated/openapi";

type Schemas = components["schemas"];

// A create body: the type is a constant, required attributes and
// relationships are required.
const newLineItem: Schemas["lineItemCreate"] = {
  data: {
    type: "line_items",
    attributes: { quantity: 2, sku_code: "MUGXXXXX000000FFFFFFXX", metadata: { gift: true } },
    relationships: { order: { data: { type: "orders", id: "xYz1234567" } } },
  },
};

// @ts-expect-error: the type must be the endpoint's.
const wrongType: Schemas["lineItemCreate"] = { data: { type: "orders", attributes: { quantity: 1 }, relationships: { order: { data: { type: "orders", id: "x" } } } } };

// @ts-expect-error: quantity is required on create.
const missingQuantity: Schemas["lineItemCreate"] = { data: { type: "line_items", attributes: {}, relationships: { order: { data: { type: "orders", id: "x" } } } } };

// An update needs the id; triggers are attributes.
const place: Schemas["orderUpdate"] = { data: { type: "orders", id: "xYz1234567", attributes: { _place: true } } };

// @ts-expect-error: a boolean trigger takes true (or false or null), not 1.
const placeWithOne: Schemas["orderUpdate"] = { data: { type: "orders", id: "xYz1234567", attributes: { _place: 1 } } };

// A valued trigger takes its own type: an amount in cents is an integer.
const partialRefund: Schemas["orderUpdate"] = { data: { type: "orders", id: "xYz1234567", attributes: { _refund: true, _refund_amount_cents: 500 } } };

// @ts-expect-error: an update without an id.
const noID: Schemas["orderUpdate"] = { data: { type: "orders", attributes: { _place: true } } };

// Reading a list: data, meta and pagination links.
function totals(list: Schemas["orderResponseList"]): number[] {
  const pages: number = list.meta.page_count;
  const next: string | null = list.links.next;
  void pages;
  void next;
  return list.data.map((order) => order.attributes.total_amount_cents ?? 0);
}

// Query parameters are typed: page[size] is a number.
type ListOrdersQuery = NonNullable<operations["listOrders"]["parameters"]["query"]>;
const query: ListOrdersQuery = { "page[size]": 25, include: "line_items,market", sort: "-created_at" };

// Errors have the JSON:API shape with the reference's codes.
function firstCode(e: Schemas["errorResponse"]): Schemas["error"]["code"] {
  return e.errors[0].code;
}
const code: Schemas["error"]["code"] = "VALIDATION_ERROR";
// @ts-expect-error: not one of the codes.
const unknownCode: Schemas["error"]["code"] = "TEAPOT";

// Every documented path is a key of paths.
const orderPath: keyof paths = "/api/orders/{id}";

export { newLineItem, wrongType, missingQuantity, place, placeWithOne, partialRefund, noID, totals, query, firstCode, code, unknownCode, orderPath };

// openapi-fetch with its defaults: filter[q] is a deep object, so any
// predicate, not only _eq, is a typed key (filter[q][code_start]=TSHIRT).
import createClient from "openapi-fetch";

const kasse = createClient<paths>({ baseUrl: "http://127.0.0.1:8080" });

async function tshirts(token: string): Promise<string[]> {
  const { data, error } = await kasse.GET("/api/skus", {
    headers: { Authorization: `Bearer ${token}` },
    params: { query: { "filter[q]": { code_start: "TSHIRT", name_or_description_cont: "logo" }, sort: "code", "page[size]": 25 } },
  });
  if (error) throw new Error(error.errors[0].detail);
  return data.data.map((sku) => sku.attributes.code ?? "");
}

export { tshirts };
