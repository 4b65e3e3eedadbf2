// Package engine is the generic repository behind the resource registry.
//
// A resource file (package resources) declares a Spec: the gorm model, the
// google/jsonapi-tagged representation, its attributes (one Attr each:
// Text, URL, Enum, Int, … with their flags), the Render function that
// shows a model as the representation, relationships, triggers, access
// rules. Define turns it into a Definition, NewRegistry collects the
// definitions, and the Engine serves any of them: list, get, create,
// update and delete, the related and relationship endpoints, batched
// include loading, and the compilation of filter and sort parameters into
// db conditions (Registry.Compile). It knows no concrete type.
//
// Writes run in one transaction each. For a type that belongs to an order
// (Spec.ParentOrder) the engine locks the order first and only then the
// row, on update, delete (and the triggers an update runs) and create, so
// writers of an order and of its children take their locks in the same
// order. A PostgreSQL deadlock or serialization failure is retried once,
// then answered 503 SERVICE_UNAVAILABLE.
package engine
