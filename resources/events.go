package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// eventResource is one topic; `_trigger` re-fires its latest occurrence.
type eventResource struct {
	ID              string         `jsonapi:"primary,events"`
	Name            string         `jsonapi:"attr,name" kasse:"filter,sort"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
	Reference       *string        `jsonapi:"attr,reference" kasse:"create,update,filter,sort"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin" kasse:"create,update,filter,sort"`
	Metadata        map[string]any `jsonapi:"attr,metadata" kasse:"create,update"`
}

func events() *engine.Definition {
	return engine.Define(engine.Spec[models.Event, eventResource]{
		Type:        "events",
		Description: "An event is a webhook topic; _trigger re-fires its latest occurrence to its webhooks.",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
		Relationships: []engine.Relationship{
			{Name: "webhooks", Target: "webhooks", ToMany: true, Where: func(parent any) []engine.Condition {
				return []engine.Condition{{{Column: "topic", Predicate: engine.Eq, Values: []any{parent.(*models.Event).Name}}}}
			}},
			{Name: "last_event_callbacks", Target: "event_callbacks", ToMany: true, InverseKey: "event_id"},
		},
		Access: integrationOnly,
		Triggers: []engine.Trigger[models.Event]{
			{Name: "_trigger", Description: "Send this attribute if you want to force webhooks execution for this event.",
				Run: func(c *engine.Call, e *models.Event, _ json.RawMessage) error { return e.Trigger(c.Tx) }},
		},
	})
}
