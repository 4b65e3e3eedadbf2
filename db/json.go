package db

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSONObject is a JSON object column (JSONB on PostgreSQL, TEXT on SQLite).
// A nil object is stored as NULL and shown as {}.
type JSONObject map[string]any

// Value stores the object as JSON text.
func (o JSONObject) Value() (driver.Value, error) {
	if o == nil {
		return nil, nil
	}
	b, err := json.Marshal(map[string]any(o))
	return string(b), err
}

// Scan reads JSON text or bytes.
func (o *JSONObject) Scan(src any) error {
	*o = nil
	raw, err := jsonBytes(src)
	if err != nil || raw == nil {
		return err
	}
	return json.Unmarshal(raw, (*map[string]any)(o))
}

// JSONArray is a JSON array column.
type JSONArray []any

// Value stores the array as JSON text.
func (a JSONArray) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal([]any(a))
	return string(b), err
}

// Scan reads JSON text or bytes.
func (a *JSONArray) Scan(src any) error {
	*a = nil
	raw, err := jsonBytes(src)
	if err != nil || raw == nil {
		return err
	}
	return json.Unmarshal(raw, (*[]any)(a))
}

func jsonBytes(src any) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	default:
		return nil, fmt.Errorf("cannot scan %T as JSON", src)
	}
}

// GormDataType tells gorm the column holds JSON.
func (JSONObject) GormDataType() string { return "json" }

// GormDataType tells gorm the column holds JSON.
func (JSONArray) GormDataType() string { return "json" }
