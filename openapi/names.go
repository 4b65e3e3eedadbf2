package openapi

import (
	"strings"
	"sync"

	"github.com/jinzhu/inflection"
)

// singulars caches inflection's answers: it runs dozens of regular
// expressions per word, and the generator asks for the same few words
// thousands of times.
var singulars sync.Map // string → string

func singular(word string) string {
	if s, ok := singulars.Load(word); ok {
		return s.(string)
	}
	s := inflection.Singular(word)
	singulars.Store(word, s)
	return s
}

// SchemaName is the name the reference gives a type's schemas: the type's
// singular in camelCase (line_items → lineItem, addresses → address); the
// request and response schemas add a suffix (lineItemCreate,
// lineItemResponseList).
func SchemaName(typ string) string {
	words := strings.Split(typ, "_")
	words[len(words)-1] = singular(words[len(words)-1])
	for i := 1; i < len(words); i++ {
		words[i] = upperFirst(words[i])
	}
	return strings.Join(words, "")
}

// pascal is snake_case in PascalCase (line_items → LineItems).
func pascal(s string) string {
	words := strings.Split(s, "_")
	for i := range words {
		words[i] = upperFirst(words[i])
	}
	return strings.Join(words, "")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// human is a type or relationship name in words (line_items → line items).
func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

// singularWords is a type's singular in words (line_items → line item).
func singularWords(typ string) string {
	words := strings.Split(typ, "_")
	words[len(words)-1] = singular(words[len(words)-1])
	return strings.Join(words, " ")
}

// article puts "a" or "an" before a noun.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
