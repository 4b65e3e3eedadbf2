package resources

import (
	"encoding/json"

	"kasse/engine"
	"kasse/errs"
	"kasse/models"
)

// webhookResource is a subscription to a topic; shared_secret is read-only
// and generated on create.
type webhookResource struct {
	ID                  string         `jsonapi:"primary,webhooks"`
	Name                *string        `jsonapi:"attr,name"`
	Topic               string         `jsonapi:"attr,topic"`
	CallbackURL         string         `jsonapi:"attr,callback_url"`
	IncludeResources    []any          `jsonapi:"attr,include_resources"`
	SharedSecret        string         `jsonapi:"attr,shared_secret"`
	DisabledAt          *engine.Time   `jsonapi:"attr,disabled_at"`
	CircuitState        string         `jsonapi:"attr,circuit_state"`
	CircuitFailureCount int            `jsonapi:"attr,circuit_failure_count"`
	CreatedAt           engine.Time    `jsonapi:"attr,created_at"`
	UpdatedAt           engine.Time    `jsonapi:"attr,updated_at"`
	Reference           *string        `jsonapi:"attr,reference"`
	ReferenceOrigin     *string        `jsonapi:"attr,reference_origin"`
	Metadata            map[string]any `jsonapi:"attr,metadata"`
}

func webhooks() *engine.Definition {
	return engine.Define(engine.Spec[models.Webhook, webhookResource]{
		Type:        "webhooks",
		Description: "A webhook POSTs every event of its topic to callback_url, signed with shared_secret (see docs/webhooks.md).",
		Actions:     engine.AllActions,
		Attributes: base(
			engine.Text("name").Create().Update().Filter().Sort(),
			engine.Text("topic").Create().Update().Required().Filter().Sort(),
			engine.URL("callback_url").Create().Update().Required().Filter(),
			engine.JSONArray("include_resources").Create().Update(),
			engine.Text("shared_secret"),
			engine.Timestamp("disabled_at").Filter().Sort(),
			engine.Enum("circuit_state", "closed", "open").Filter(),
			engine.Int("circuit_failure_count").Filter().Sort(),
		),
		Render: func(w *models.Webhook) *webhookResource {
			return &webhookResource{
				ID:                  w.ID,
				Name:                w.Name,
				Topic:               w.Topic,
				CallbackURL:         w.CallbackURL,
				IncludeResources:    engine.ArrayOf(w.IncludeResources),
				SharedSecret:        w.SharedSecret,
				DisabledAt:          engine.TimeOrNil(w.DisabledAt),
				CircuitState:        w.CircuitState,
				CircuitFailureCount: w.CircuitFailureCount,
				CreatedAt:           engine.TimeOf(w.CreatedAt),
				UpdatedAt:           engine.TimeOf(w.UpdatedAt),
				Reference:           w.Reference,
				ReferenceOrigin:     w.ReferenceOrigin,
				Metadata:            engine.ObjectOf(w.Metadata),
			}
		},
		Relationships: []engine.Relationship{
			{Name: "last_event_callbacks", Target: "event_callbacks", ToMany: true, InverseKey: "webhook_id"},
		},
		Access: integrationOnly,
		Triggers: []engine.Trigger[models.Webhook]{
			{Name: "_disable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as disabled.",
				Run: func(c *engine.Call, w *models.Webhook, _ json.RawMessage) error { return w.Disable(c.Tx) }},
			{Name: "_enable", OnCreate: true, Description: "Send this attribute if you want to mark this resource as enabled.",
				Run: func(c *engine.Call, w *models.Webhook, _ json.RawMessage) error { return w.Enable(c.Tx) }},
			{Name: "_reset_circuit", Description: "Send this attribute if you want to reset the circuit breaker associated to this resource to 'closed' state and zero failures count.",
				Run: func(c *engine.Call, w *models.Webhook, _ json.RawMessage) error { return w.ResetCircuit(c.Tx) }},
			{Name: "_regenerate_shared_secret", Description: "Send this attribute if you want to regenerate the shared secret.",
				Run: func(c *engine.Call, w *models.Webhook, _ json.RawMessage) error { return w.RegenerateSecret(c.Tx) }},
		},
		Check: func(c *engine.Call, w *models.Webhook, _ bool) error {
			changed, err := w.CallbackURLChanged(c.Tx)
			if err != nil {
				return err
			}
			if changed {
				if err := c.URLGuard().CheckURL(c.Ctx, w.CallbackURL); err != nil {
					return err
				}
			}
			return c.CheckIncludes(models.TopicResource(w.Topic), w.Includes(), errs.AttributePointer("include_resources"))
		},
	})
}
