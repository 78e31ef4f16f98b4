package langchaingo

import (
	"reflect"

	"github.com/tmc/langchaingo/llms"
)

// providerModel is the model a langchaingo provider was built with
// (anthropic.WithModel, openai.WithModel, …), which its responses do not
// name: the LLM's own model field, else its client's Model, read once when
// the model is wrapped. "" when the provider keeps none there (the provider
// then sends its own default, which only the wire names).
//
// langchaingo v0.1.14 keeps it unexported (LLM.model, and client.Model in
// llms/anthropic and llms/openai), so it is read by reflection; a provider
// laid out otherwise yields "" and the call falls back to WithModelLabel.
func providerModel(m llms.Model) string {
	v := reflect.ValueOf(m)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	if s := stringField(v, "model", "Model"); s != "" {
		return s
	}
	for _, name := range [...]string{"client", "Client"} {
		c := v.FieldByName(name)
		for c.IsValid() && (c.Kind() == reflect.Pointer || c.Kind() == reflect.Interface) && !c.IsNil() {
			c = c.Elem()
		}
		if c.IsValid() && c.Kind() == reflect.Struct {
			if s := stringField(c, "Model", "model"); s != "" {
				return s
			}
		}
	}
	return ""
}

func stringField(v reflect.Value, names ...string) string {
	for _, n := range names {
		if f := v.FieldByName(n); f.IsValid() && f.Kind() == reflect.String {
			return f.String()
		}
	}
	return ""
}
