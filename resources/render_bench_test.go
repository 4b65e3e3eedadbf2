package resources_test

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"

	"kasse/models"
	"kasse/resources"
	"kasse/serializers"
)

// BenchmarkRenderSkuPage renders and encodes the document of a page of 25
// SKUs with include=prices (3 prices each: 100 resources) from loaded
// models, as a list request does after its queries: each type's render
// function, the document, the encoded bytes (into a reused buffer, as
// handlers' pooled one). allocs/op divided by 100 is
// the allocations per rendered resource docs/performance.md reports.
func BenchmarkRenderSkuPage(b *testing.B) {
	reg := resources.Default()
	skuDef, _ := reg.Lookup("skus")
	priceDef, _ := reg.Lookup("prices")
	p := &models.Principal{Role: models.RoleIntegration}
	var skus []*models.Sku
	var prices [][]*models.Price
	n := 0
	for i := range 25 {
		sku := new(models.Sku)
		fill(reflect.ValueOf(sku).Elem(), "", &n)
		sku.ID = fmt.Sprintf("sku%02d", i)
		skus = append(skus, sku)
		var own []*models.Price
		for j := range 3 {
			price := new(models.Price)
			fill(reflect.ValueOf(price).Elem(), "", &n)
			price.ID = fmt.Sprintf("price%02d%d", i, j)
			own = append(own, price)
		}
		prices = append(prices, own)
	}
	meta, err := serializers.NewResourceMeta(map[string]any{"mode": "test", "organization_id": "org"})
	if err != nil {
		b.Fatal(err)
	}
	opts := serializers.Options{BaseURL: "https://kasse.test", Include: [][]string{{"prices"}}, HasInclude: true, ResourceMeta: meta}
	u, _ := url.Parse("https://kasse.test/api/skus?include=prices&page[size]=25")
	list := serializers.ListMeta{RecordCount: 1009, Estimated: true, Page: serializers.Page{Number: 1, Size: 25}, URL: u}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		nodes := make([]*serializers.Node, len(skus))
		for i, sku := range skus {
			nodes[i] = skuDef.Node(p, sku, opts.BaseURL)
			related := make([]*serializers.Node, len(prices[i]))
			for j, price := range prices[i] {
				related[j] = priceDef.Node(p, price, opts.BaseURL)
			}
			nodes[i].SetRelated("prices", related)
		}
		doc, err := serializers.Many(nodes, list, opts)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = doc.AppendJSON(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
