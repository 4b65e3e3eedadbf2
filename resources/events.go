package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/models"
)

// eventResource is one topic; `_trigger` re-fires its latest occurrence.
type eventResource struct {
	ID              string         `jsonapi:"primary,events"`
	Name            string         `jsonapi:"attr,name"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
	Reference       *string        `jsonapi:"attr,reference"`
	ReferenceOrigin *string        `jsonapi:"attr,reference_origin"`
	Metadata        map[string]any `jsonapi:"attr,metadata"`
}

func events() *engine.Definition {
	return engine.Define(engine.Spec[models.Event, eventResource]{
		Type:        "events",
		Description: "An event is a webhook topic; _trigger re-fires its latest occurrence to its webhooks.",
		Actions:     engine.Actions{List: true, Retrieve: true, Update: true},
		Attributes:  base(engine.Text("name").Filter().Sort()),
		Render: func(e *models.Event) *eventResource {
			return &eventResource{
				ID:              e.ID,
				Name:            e.Name,
				CreatedAt:       engine.TimeOf(e.CreatedAt),
				UpdatedAt:       engine.TimeOf(e.UpdatedAt),
				Reference:       e.Reference,
				ReferenceOrigin: e.ReferenceOrigin,
				Metadata:        engine.ObjectOf(e.Metadata),
			}
		},
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
