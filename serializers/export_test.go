package serializers

// Planned reads v through its type's plan; ok is false when it has none.
func Planned(v any) (typ, id string, attrs map[string]any, ok bool) {
	p := planOf(v)
	if p == nil {
		return "", "", nil, false
	}
	typ, id, attrs = p.apply(v)
	return typ, id, attrs, true
}
