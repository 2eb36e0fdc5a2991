package essdir_test

import (
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

func TestAuthorizeWrite(t *testing.T) {
	moderated := &essdir.Client{Source: "rtes", Moderation: essdir.StatusPending}
	trusted := &essdir.Client{Source: "rtes", Moderation: essdir.StatusPublished}
	st := func(source string, status essdir.Status) *essdir.Structure {
		return &essdir.Structure{Source: source, Status: status}
	}
	tests := []struct {
		name         string
		client       *essdir.Client
		stored, next *essdir.Structure
		wantErr      bool
		wantSource   string
		wantStatus   essdir.Status
	}{
		{"CreateTakesSourceAndModeration", moderated, nil, st("", ""), false, "rtes", essdir.StatusPending},
		{"CreateTrustedPublishes", trusted, nil, st("", ""), false, "rtes", essdir.StatusPublished},
		{"CreateNamedStatusKept", moderated, nil, st("rtes", essdir.StatusDraft), false, "rtes", essdir.StatusDraft},
		{"ErrCreateAnotherSource", trusted, nil, st("other", ""), true, "", ""},
		{"ErrModeratedCreatesPublished", moderated, nil, st("", essdir.StatusPublished), true, "", ""},
		{"ErrUpdateAnothersRecord", trusted, st("other", essdir.StatusPublished), st("rtes", ""), true, "", ""},
		{"ErrModeratedPublishes", moderated, st("rtes", essdir.StatusPending), st("rtes", essdir.StatusPublished), true, "", ""},
		{"ModeratedKeepsPublished", moderated, st("rtes", essdir.StatusPublished), st("", essdir.StatusPublished), false, "rtes", essdir.StatusPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stored essdir.Sourced
			if tt.stored != nil {
				stored = tt.stored
			}
			err := tt.client.AuthorizeWrite(stored, tt.next)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if essdir.ErrorCode(err) != essdir.EFORBIDDEN {
					t.Errorf("code %s, want forbidden", essdir.ErrorCode(err))
				}
				return
			}
			if tt.next.Source != tt.wantSource || tt.next.Status != tt.wantStatus {
				t.Errorf("next = %q %q, want %q %q", tt.next.Source, tt.next.Status, tt.wantSource, tt.wantStatus)
			}
		})
	}
	if err := trusted.AuthorizeWrite(st("other", ""), nil); essdir.ErrorCode(err) != essdir.EFORBIDDEN {
		t.Errorf("delete of another's record: %v", err)
	}
}
