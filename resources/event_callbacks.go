package resources

import (
	"kasse/engine"
	"kasse/models"
)

// eventCallbackResource is one delivery attempt of a webhook (read-only).
type eventCallbackResource struct {
	ID              string         `jsonapi:"primary,event_callbacks"`
	CallbackURL     string         `jsonapi:"attr,callback_url" kasse:"filter"`
	Payload         map[string]any `jsonapi:"attr,payload"`
	ResponseCode    *string        `jsonapi:"attr,response_code" kasse:"filter,sort"`
	ResponseMessage *string        `jsonapi:"attr,response_message"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at" kasse:"filter,sort"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at" kasse:"filter,sort"`
}

func eventCallbacks() *engine.Definition {
	return engine.Define(engine.Spec[models.EventCallback, eventCallbackResource]{
		Type:        "event_callbacks",
		Description: "An event callback is one attempt to deliver an event to a webhook: the payload sent and the receiver's answer.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Relationships: []engine.Relationship{
			{Name: "webhook", Target: "webhooks", ForeignKey: "webhook_id"},
		},
		Access: integrationOnly,
	})
}
