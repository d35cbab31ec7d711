package node

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// Key is embedded in the requests below: its fields belong to the request.
type Key struct {
	Key     string `json:"key"`
	Version int    `json:"version,omitempty"`
}

// Meta is embedded by pointer.
type Meta struct {
	Trace string `json:"trace"`
}

// validated has every kind of field requiredFields tells apart.
type validated struct {
	Key                      // embedded: key required, version optional
	*Meta                    // embedded by pointer: trace required
	N        int64           `json:"n"`
	Values   []int           `json:"values"`
	Opt      string          `json:"opt,omitempty"`
	OnlyOpt  map[string]int  `json:",omitempty"` // optional, named OnlyOpt
	Untagged bool            // required, named Untagged
	Skipped  int             `json:"-"` // never in JSON
	Named    Key             `json:"named"`
	Raw      json.RawMessage `json:"raw,omitempty"`
	Any      any             `json:"any,omitempty"`
	//lint:ignore U1000 an unexported field is there to be ignored by Typed
	internal int                // unexported: ignored
	Nested   map[string][]int64 `json:"nested,omitempty"`
}

// TestTypedValidation checks what Typed accepts and, for what it rejects,
// that the error is 12 and names the field.
func TestTypedValidation(t *testing.T) {
	const complete = `"type":"op","key":"k","trace":"t","n":1,"values":[1],"Untagged":true,"named":{"key":"x"}`
	cases := []struct {
		name      string
		body      string // members after {
		wantField string // "" when the body is accepted
	}{
		{"complete", complete, ""},
		{"optional fields given", complete + `,"version":2,"opt":"o","OnlyOpt":{"a":1},"raw":[1],"any":{"x":1},"nested":{"a":[1]}`, ""},
		// null would decode as a zero value nobody sent: refused, except
		// where the field can say "nothing" (raw JSON, interface, pointer).
		{"null refused for a value", `"type":"op","key":"k","trace":"t","n":null,"values":[1],"Untagged":true,"named":{}`, "n"},
		{"null refused in embedded struct", `"type":"op","key":null,"trace":"t","n":1,"values":[1],"Untagged":true,"named":{}`, "key"},
		{"null refused for a list", `"type":"op","key":"k","trace":"t","n":1,"values":null,"Untagged":true,"named":{}`, "values"},
		{"null accepted where optional", complete + `,"raw":null,"any":null,"opt":null`, ""},
		{"unknown members ignored", complete + `,"extra":[1,2],"Skipped":"not an int"`, ""},
		{"missing top-level field", `"type":"op","key":"k","trace":"t","values":[1],"Untagged":true,"named":{}`, "n"},
		{"missing embedded field", `"type":"op","trace":"t","n":1,"values":[1],"Untagged":true,"named":{}`, "key"},
		{"missing field of embedded pointer", `"type":"op","key":"k","n":1,"values":[1],"Untagged":true,"named":{}`, "trace"},
		{"missing untagged field", `"type":"op","key":"k","trace":"t","n":1,"values":[1],"-":0,"named":{}`, "Untagged"},
		{"missing named struct", `"type":"op","key":"k","trace":"t","n":1,"values":[1],"Untagged":true,"-":0`, "named"},
		{"names match in any case, as encoding/json does", `"type":"op","KEY":"k","Trace":"t","N":1,"values":[1],"untagged":true,"-":0,"named":{}`, ""},
		{"wrong type", complete + `,"n":"one"`, "n"},
		{"wrong type in embedded struct", complete + `,"key":5`, "key"},
		{"wrong type of element", complete + `,"values":["a"]`, "values"},
		{"wrong type in optional field", complete + `,"opt":7`, "opt"},
		{"wrong type in nested struct", complete + `,"named":{"version":"2"}`, "named.version"},
		{"wrong type under interface path", complete + `,"any":1,"nested":{"a":["x"]}`, "nested"},
		{"fraction for integer", complete + `,"n":1.5`, "n"},
		{"object for a list", complete + `,"values":{}`, "values"},
	}
	var got validated
	h := Typed(func(_ context.Context, _ Message, req validated) (any, error) {
		got = req
		return struct{}{}, nil
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = validated{}
			_, err := h(context.Background(), Message{Src: "c1", Dest: "n1", Body: json.RawMessage("{" + tc.body + "}")})
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeMalformedRequest {
				t.Fatalf("want error 12, got %v (handler saw %+v)", err, got)
			}
			if !namesField(e.Text, tc.wantField) || !strings.Contains(e.Text, `"op"`) {
				t.Fatalf("error %q does not name the message type and field %s", e.Text, tc.wantField)
			}
		})
	}
}

// namesField reports whether text mentions field as a whole word (a
// dotted path counts as words).
func namesField(text, field string) bool {
	return regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(field) + `($|[^\w-])`).MatchString(text)
}

// TestTypedFieldNamedDash: the tag "-," names a member "-" (encoding/json
// decodes it), so the member is required like any other.
func TestTypedFieldNamedDash(t *testing.T) {
	h := Typed(func(_ context.Context, _ Message, req struct {
		Dash int `json:"-,"`
	}) (any, error) {
		return nil, nil
	})
	_, err := h(context.Background(), Message{Body: json.RawMessage(`{"type":"op"}`)})
	if !errors.Is(err, ErrMalformedRequest) || !namesField(err.Error(), "-") {
		t.Fatalf("want error 12 naming \"-\", got %v", err)
	}
}

// TestTypedDecodes checks the values a valid body decodes to, embedded
// fields and exact numbers in interfaces included.
func TestTypedDecodes(t *testing.T) {
	var got validated
	h := Typed(func(_ context.Context, _ Message, req validated) (any, error) {
		got = req
		return nil, nil
	})
	body := `{"type":"op","key":"k","version":3,"trace":"t","n":4611686018427387905,"values":[1,2],"Untagged":true,"named":{"key":"x"},"any":4611686018427387905}`
	if _, err := h(context.Background(), Message{Body: json.RawMessage(body)}); err != nil {
		t.Fatal(err)
	}
	if got.Key.Key != "k" || got.Version != 3 || got.Meta == nil || got.Trace != "t" || got.N != 4611686018427387905 ||
		len(got.Values) != 2 || !got.Untagged || got.Named.Key != "x" || got.Any != json.Number("4611686018427387905") {
		t.Fatalf("decoded %+v", got)
	}
}

// TestTypedNonStruct: a request type that is not a struct has no required
// fields, but its type is still checked.
func TestTypedNonStruct(t *testing.T) {
	h := Typed(func(_ context.Context, _ Message, req map[string]int64) (any, error) { return nil, nil })
	if _, err := h(context.Background(), Message{Body: json.RawMessage(`{"type":"op"}`)}); err == nil {
		t.Fatal("a string member decoded into map[string]int64")
	}
	anyH := Typed(func(_ context.Context, _ Message, req map[string]any) (any, error) { return nil, nil })
	if _, err := anyH(context.Background(), Message{Body: json.RawMessage(`{"type":"op"}`)}); err != nil {
		t.Fatal(err)
	}
}
