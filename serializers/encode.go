package serializers

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The encoder appends documents to one buffer: a representation's fields
// through per-type encoders its plan picks once (encodeFuncOf), the
// document's own objects written out key by key. Its output is what
// encoding/json makes of the same values with SetEscapeHTML(false), as
// handlers always sent (maps' keys sorted, strings escaped the same way,
// floats in the same form); TestEncoderMatchesEncodingJSON holds it to
// that. Values it has no encoder for (maps, slices, marshalers) go through
// encoding/json itself.

// encodeFunc appends the JSON of v, a value of the type it was built for.
type encodeFunc func(dst []byte, v reflect.Value) ([]byte, error)

// JSONAppender is a value that writes its own JSON, without an error and
// without allocating: what a representation renders on every read
// (skus.inventory) implements it. It must write what its MarshalJSON, if
// any, writes: google/jsonapi, the renderer's oracle, calls that.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

var (
	appenderType      = reflect.TypeFor[JSONAppender]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	serializersTime   = reflect.TypeFor[Time]()
)

// encodeFuncOf picks t's encoder: a direct one for strings, booleans,
// numbers, Time and pointers to them; encoding/json for the rest and for
// any type with its own marshaling methods.
func encodeFuncOf(t reflect.Type) encodeFunc {
	if t.Kind() != reflect.Interface && t.Implements(appenderType) {
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if t.Kind() == reflect.Pointer && v.IsNil() {
				return append(dst, "null"...), nil
			}
			return v.Interface().(JSONAppender).AppendJSON(dst), nil
		}
	}
	if t == serializersTime {
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.CanAddr() { // a field: read in place, not boxed
				return appendTime(dst, *v.Addr().Interface().(*Time)), nil
			}
			return appendTime(dst, v.Interface().(Time)), nil
		}
	}
	if t.Kind() == reflect.Pointer {
		if !hasMarshalMethods(t.Elem()) && hasMarshalMethods(t) {
			return encodeWithJSON // methods on *T: encoding/json calls them
		}
		elem := encodeFuncOf(t.Elem())
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "null"...), nil
			}
			return elem(dst, v.Elem())
		}
	}
	if hasMarshalMethods(t) || hasMarshalMethods(reflect.PointerTo(t)) {
		return encodeWithJSON
	}
	switch t.Kind() {
	case reflect.String:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return appendString(dst, v.String()), nil }
	case reflect.Bool:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendBool(dst, v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendInt(dst, v.Int(), 10), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendUint(dst, v.Uint(), 10), nil }
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(dst []byte, v reflect.Value) ([]byte, error) { return appendFloat(dst, v.Float(), bits) }
	case reflect.Map:
		if t == anyMapType {
			// Metadata and the like: what JSON decodes to, written without
			// encoding/json's reflection over every key and value.
			return func(dst []byte, v reflect.Value) ([]byte, error) {
				return appendAny(dst, v.Interface())
			}
		}
	}
	return encodeWithJSON
}

var anyMapType = reflect.TypeFor[map[string]any]()

func hasMarshalMethods(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

// appendAny writes a value of an interface: the types JSON decodes to
// directly, anything else through encoding/json.
func appendAny(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case float64:
		return appendFloat(dst, x, 64)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		return appendObject(dst, x, nil, appendAny)
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendAny(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	return appendJSON(dst, v)
}

// jsonEncoder is encoding/json set as handlers use it.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// encodeWithJSON appends what encoding/json writes for v (without its
// trailing newline). v is read through Interface, as it was when
// attributes were a map of values: methods on *T do not apply.
func encodeWithJSON(dst []byte, v reflect.Value) ([]byte, error) {
	return appendJSON(dst, v.Interface())
}

func appendJSON(dst []byte, v any) ([]byte, error) {
	e := jsonEncoders.Get().(*jsonEncoder)
	defer jsonEncoders.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))...), nil
}

func appendTime(dst []byte, t Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, TimeFormat)
	return append(dst, '"')
}

// appendObject writes m as encoding/json writes a map: keys in order,
// each value by value; keep, when set, says which keys are written.
func appendObject[V any](dst []byte, m map[string]V, keep func(string) bool, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	var small [8]string
	keys := small[:0]
	for k := range m {
		if keep == nil || keep(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = value(dst, m[k]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// SetEscapeHTML(false): `"` and `\` escaped, control characters as \b,
// \f, \n, \r, \t or \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped for JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendFloat writes f as encoding/json does: the shortest form that
// reads back the same, in exponent form only below 1e-6 or from 1e21, and
// an error for NaN and infinities.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}
