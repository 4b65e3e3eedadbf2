package serializers

// Planned reads v through its type's plan, its attributes encoded; ok is
// false when it has none.
func Planned(v any) (typ, id string, attrs []byte, ok bool) {
	p := planOf(v)
	if p == nil {
		return "", "", nil, false
	}
	attrs, err := p.appendAttributes(nil, v, func(string) bool { return true })
	if err != nil {
		panic(err)
	}
	return p.typ, p.idOf(v), attrs, true
}

// AppendString is appendString, for the test against encoding/json.
var AppendString = appendString

// AppendFloat is appendFloat, for the test against encoding/json.
var AppendFloat = appendFloat
