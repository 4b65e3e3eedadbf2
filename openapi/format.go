package openapi

import "bytes"

// lineWidth is the longest object or array the document writes on one
// line (its one-line form, without the indentation): `{"$ref": "…"}`,
// `"type": ["string", "null"]` and `"tags": ["orders"]` take one line
// instead of three or four, which keeps the document small and readable.
const lineWidth = 100

// format indents compact JSON with tabs, one member a line, except that an
// object or array whose one-line form fits in lineWidth is written on one
// line (members separated by ", ", keys by ": ").
func format(compact []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(compact) + len(compact)/4)
	writeValue(&out, compact, 0)
	out.WriteByte('\n')
	return out.Bytes()
}

// writeValue writes one compact JSON value at the given depth.
func writeValue(out *bytes.Buffer, v []byte, depth int) {
	if len(v) == 0 || (v[0] != '{' && v[0] != '[') {
		out.Write(v)
		return
	}
	if line := oneLine(v); len(line) <= lineWidth {
		out.Write(line)
		return
	}
	open, close := v[0], v[len(v)-1]
	out.WriteByte(open)
	for i, m := range members(v) {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
		out.Write(bytes.Repeat([]byte{'\t'}, depth+1))
		if open == '{' {
			key, value := splitMember(m)
			out.Write(key)
			out.WriteString(": ")
			writeValue(out, value, depth+1)
		} else {
			writeValue(out, m, depth+1)
		}
	}
	out.WriteByte('\n')
	out.Write(bytes.Repeat([]byte{'\t'}, depth))
	out.WriteByte(close)
}

// oneLine is a compact value with a space after each separator outside
// strings.
func oneLine(v []byte) []byte {
	out := make([]byte, 0, len(v)+len(v)/8)
	inString := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		out = append(out, c)
		switch {
		case inString && c == '\\':
			i++
			out = append(out, v[i])
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			out = append(out, ' ')
		}
	}
	return out
}

// members splits a compact object or array into its members (an object's
// as `"key":value`).
func members(v []byte) [][]byte {
	var out [][]byte
	inner := v[1 : len(v)-1]
	depth, start, inString := 0, 0, false
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if inString {
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, inner[start:i])
				start = i + 1
			}
		}
	}
	if len(inner) > 0 {
		out = append(out, inner[start:])
	}
	return out
}

// splitMember splits `"key":value` after the key's closing quote.
func splitMember(m []byte) (key, value []byte) {
	for i := 1; i < len(m); i++ {
		switch m[i] {
		case '\\':
			i++
		case '"':
			return m[:i+1], m[i+2:]
		}
	}
	return m, nil
}
