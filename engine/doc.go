// Package engine is the generic repository behind the resource registry.
//
// A resource file (package resources) declares a Spec: the gorm model, the
// google/jsonapi-tagged representation, relationships, triggers, access
// rules. Define turns it into a Definition, NewRegistry collects the
// definitions, and the Engine serves any of them: list, get, create,
// update and delete, the related and relationship endpoints, batched
// include loading, and the compilation of filter and sort parameters into
// db conditions (Registry.Compile). It knows no concrete type.
package engine
