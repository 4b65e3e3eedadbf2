package engine

import (
	"fmt"
	"slices"
)

// Registry is the set of resource types the server serves.
type Registry struct {
	byType map[string]*Definition
	order  []*Definition
}

// NewRegistry registers definitions and checks that every relationship
// points to a registered type.
func NewRegistry(defs ...*Definition) *Registry {
	r := &Registry{byType: map[string]*Definition{}}
	for _, d := range defs {
		if _, dup := r.byType[d.Type]; dup {
			panic("resource type registered twice: " + d.Type)
		}
		r.byType[d.Type] = d
		r.order = append(r.order, d)
	}
	for _, d := range defs {
		for _, rel := range d.Relationships {
			for _, target := range append(append([]string{rel.Target}, rel.Polymorphic...), rel.Accepts...) {
				if _, ok := r.byType[target]; !ok {
					panic(fmt.Sprintf("%s.%s points to unregistered type %s", d.Type, rel.Name, target))
				}
			}
			if len(rel.Polymorphic) > 0 && (rel.Create || rel.Update || rel.ToMany || rel.TypeColumn == "" || rel.ForeignKey == "") {
				panic(fmt.Sprintf("%s.%s: polymorphic relationships are read-only to-ones with a type column and a foreign key", d.Type, rel.Name))
			}
		}
	}
	return r
}

// Lookup finds a definition by type name.
func (r *Registry) Lookup(typ string) (*Definition, bool) {
	d, ok := r.byType[typ]
	return d, ok
}

// All lists the definitions in registration order.
func (r *Registry) All() []*Definition { return slices.Clone(r.order) }
