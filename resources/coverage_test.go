package resources_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kasse/engine"
	"kasse/resources"
)

// referencePath is Commerce Layer's resource list, beside the repository
// (../shared/reference/commercelayer-resources.json from the module root)
// unless KASSE_REFERENCE says where.
func referencePath() string {
	if p := os.Getenv("KASSE_REFERENCE"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "reference", "commercelayer-resources.json")
}

type referenceType struct {
	Fields        map[string]json.RawMessage `json:"fields"`
	Relationships map[string]json.RawMessage `json:"relationships"`
}

// coverage is the share of the reference's attributes, triggers and
// relationships of one type that Kasse declares, and what it lacks.
type coverage struct {
	attributes, triggers, relationships [2]int // have, of
	missingAttributes, missingTriggers  []string
}

func ratio(c [2]int) float64 {
	if c[1] == 0 {
		return 1
	}
	return float64(c[0]) / float64(c[1])
}

func measure(def *engine.Definition, ref referenceType) coverage {
	var c coverage
	for name := range ref.Fields {
		if strings.HasPrefix(name, "_") {
			c.triggers[1]++
			if def.Trigger(name) != nil {
				c.triggers[0]++
			} else {
				c.missingTriggers = append(c.missingTriggers, name)
			}
			continue
		}
		c.attributes[1]++
		if name == "id" || def.Attribute(name) != nil {
			c.attributes[0]++
		} else {
			c.missingAttributes = append(c.missingAttributes, name)
		}
	}
	for name := range ref.Relationships {
		c.relationships[1]++
		if def.Relationship(name) != nil {
			c.relationships[0]++
		}
	}
	slices.Sort(c.missingAttributes)
	slices.Sort(c.missingTriggers)
	return c
}

// TestReferenceCoverage compares every type with the reference's type of
// the same name and prints (go test -v) the share of the reference's
// attributes, triggers and relationships it declares; the orders type must
// have at least 80 % of the reference's attributes and 70 % of its
// triggers (the targets).
func TestReferenceCoverage(t *testing.T) {
	raw, err := os.ReadFile(referencePath())
	if err != nil {
		t.Fatalf("the reference resource list: %v (set KASSE_REFERENCE to its path)", err)
	}
	var list []struct {
		ID         string        `json:"id"`
		Attributes referenceType `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	ref := map[string]referenceType{}
	for _, r := range list {
		ref[r.ID] = r.Attributes
	}
	var total coverage
	for _, def := range resources.Default().All() {
		var r referenceType
		found := false
		for _, name := range []string{def.Type, strings.TrimSuffix(def.Type, "es"), strings.TrimSuffix(def.Type, "s")} {
			if r, found = ref[name]; found {
				break
			}
		}
		if !found {
			t.Logf("%-24s not in the reference (a Kasse type, or one the reference file does not list)", def.Type)
			continue
		}
		c := measure(def, r)
		for i := range 2 {
			total.attributes[i] += c.attributes[i]
			total.triggers[i] += c.triggers[i]
			total.relationships[i] += c.relationships[i]
		}
		t.Logf("%-24s attributes %3.0f %% (%d/%d)  triggers %3.0f %% (%d/%d)  relationships %3.0f %% (%d/%d)", def.Type,
			100*ratio(c.attributes), c.attributes[0], c.attributes[1], 100*ratio(c.triggers), c.triggers[0], c.triggers[1],
			100*ratio(c.relationships), c.relationships[0], c.relationships[1])
		if def.Type == "orders" {
			t.Logf("orders lack the attributes %s", strings.Join(c.missingAttributes, ", "))
			t.Logf("orders lack the triggers %s", strings.Join(c.missingTriggers, ", "))
			if ratio(c.attributes) < 0.80 {
				t.Errorf("orders have %.0f %% of the reference's attributes, want at least 80 %%", 100*ratio(c.attributes))
			}
			if ratio(c.triggers) < 0.70 {
				t.Errorf("orders have %.0f %% of the reference's triggers, want at least 70 %%", 100*ratio(c.triggers))
			}
		}
	}
	t.Logf("%-24s attributes %3.0f %%  triggers %3.0f %%  relationships %3.0f %%", "all types in the reference",
		100*ratio(total.attributes), 100*ratio(total.triggers), 100*ratio(total.relationships))
}
