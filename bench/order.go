package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"kasse/models"
)

// benchOrderReference marks the order the harness reads, so that a run on
// a database a previous run left finds it instead of adding another.
const benchOrderReference = "kasse-bench-order"

// benchLineItems is how many line items the order has: demo SKUs.
const benchLineItems = 3

// ensureOrder returns the id of the bench order: a cart of the demo
// market eu with three demo SKUs, made through Kasse's API as any client
// makes one (so its amounts are Kasse's). An order a run left incomplete
// is deleted and made again.
func ensureOrder(s *server) (string, error) {
	var found struct {
		Data []struct {
			ID            string `json:"id"`
			Relationships struct {
				LineItems struct {
					Data []json.RawMessage `json:"data"`
				} `json:"line_items"`
			} `json:"relationships"`
		} `json:"data"`
	}
	if err := s.call(http.MethodGet, "/api/orders?include=line_items&filter%5Bq%5D%5Breference_eq%5D="+benchOrderReference, nil, &found); err != nil {
		return "", err
	}
	for _, o := range found.Data {
		if len(o.Relationships.LineItems.Data) == benchLineItems {
			return o.ID, nil
		}
		if err := s.call(http.MethodDelete, "/api/orders/"+o.ID, nil, nil); err != nil {
			return "", err
		}
	}
	var markets struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := s.call(http.MethodGet, "/api/markets?filter%5Bq%5D%5Bcode_eq%5D=eu", nil, &markets); err != nil {
		return "", err
	}
	if len(markets.Data) != 1 {
		return "", fmt.Errorf("%d demo markets with the code eu", len(markets.Data))
	}
	var order struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := s.call(http.MethodPost, "/api/orders", resource("orders", map[string]any{"reference": benchOrderReference},
		map[string]any{"market": relationship("markets", markets.Data[0].ID)}), &order); err != nil {
		return "", err
	}
	for i, sku := range models.DemoCatalog[:benchLineItems] {
		if err := s.call(http.MethodPost, "/api/line_items", resource("line_items", map[string]any{"sku_code": sku.Code, "quantity": i + 1},
			map[string]any{"order": relationship("orders", order.Data.ID)}), nil); err != nil {
			return "", err
		}
	}
	return order.Data.ID, nil
}

func resource(typ string, attributes, relationships map[string]any) map[string]any {
	return map[string]any{"data": map[string]any{"type": typ, "attributes": attributes, "relationships": relationships}}
}

func relationship(typ, id string) map[string]any {
	return map[string]any{"data": map[string]any{"type": typ, "id": id}}
}

// call sends a JSON:API request with Kasse's token and decodes the answer
// into out (when not nil); any status but 2xx is an error.
func (s *server) call(method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.origin+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.api+json")
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		u, _ := url.PathUnescape(path)
		return fmt.Errorf("%s %s on %s: %s\n%s", method, u, s.name, resp.Status, answer)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer, out)
}
