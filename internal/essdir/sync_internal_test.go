package essdir

import "testing"

// TestItemFieldsPaths: an item's fields are named under items[i], an
// array path without a dot.
func TestItemFieldsPaths(t *testing.T) {
	e := &Error{Code: EMALFORMED, Message: "m", Fields: []FieldError{{Field: "name"}, {Field: ""}, {Field: "[0][1]"}, {Field: "steps[2].title"}}}
	want := []string{"items[3].name", "items[3]", "items[3][0][1]", "items[3].steps[2].title"}
	got := ItemFields(3, e)
	for i := range want {
		if got[i].Field != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i].Field, want[i])
		}
	}
}
