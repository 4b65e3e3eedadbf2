package resources

import (
	"kasse/engine"
	"kasse/models"
)

// eventCallbackResource is one delivery attempt of a webhook (read-only).
type eventCallbackResource struct {
	ID              string         `jsonapi:"primary,event_callbacks"`
	CallbackURL     string         `jsonapi:"attr,callback_url"`
	Payload         map[string]any `jsonapi:"attr,payload"`
	ResponseCode    *string        `jsonapi:"attr,response_code"`
	ResponseMessage *string        `jsonapi:"attr,response_message"`
	CreatedAt       engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt       engine.Time    `jsonapi:"attr,updated_at"`
}

func eventCallbacks() *engine.Definition {
	return engine.Define(engine.Spec[models.EventCallback, eventCallbackResource]{
		Type:        "event_callbacks",
		Description: "An event callback is one attempt to deliver an event to a webhook: the payload sent and the receiver's answer.",
		Actions:     engine.Actions{List: true, Retrieve: true},
		Attributes: []engine.Attr{
			engine.URL("callback_url").Filter(),
			engine.JSONObject("payload"),
			engine.Text("response_code").Filter().Sort(),
			engine.Text("response_message").Max(engine.MaxFreeText),
			engine.Timestamp("created_at").Filter().Sort(),
			engine.Timestamp("updated_at").Filter().Sort(),
		},
		Render: func(c *models.EventCallback) *eventCallbackResource {
			return &eventCallbackResource{
				ID:              c.ID,
				CallbackURL:     c.CallbackURL,
				Payload:         engine.ObjectOf(c.Payload),
				ResponseCode:    c.ResponseCode,
				ResponseMessage: c.ResponseMessage,
				CreatedAt:       engine.TimeOf(c.CreatedAt),
				UpdatedAt:       engine.TimeOf(c.UpdatedAt),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "webhook", Target: "webhooks", ForeignKey: "webhook_id"},
		},
		Access: integrationOnly,
	})
}
