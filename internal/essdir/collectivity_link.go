package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// amountDigits is the most digits before the point of a link's amount (the
// column is numeric(14, 2)).
const amountDigits = 12

// CollectivityLink is the support a collectivity gives a structure: a
// subsidy, premises, methodological support… over a period, possibly
// through a support scheme. Dates are calendar dates ("2024-11-28"), empty
// when unknown; AmountEUR is a decimal string with two decimals.
type CollectivityLink struct {
	Record
	StructureID     uuid.UUID
	CollectivityID  uuid.UUID
	SupportKinds    []SupportKind
	Description     string
	AmountEUR       string
	StartDate       string
	EndDate         string
	SupportSchemeID uuid.UUID
}

// Derive puts the link in its stored form. Links have no derived field and
// nothing a write may not change: the stored record is not needed.
func (l *CollectivityLink) Derive(_ context.Context, _ Geography, _ *CollectivityLink, _ *Violations) error {
	l.SupportKinds = dedupe(l.SupportKinds, func(k SupportKind) SupportKind { return SupportKind(CleanText(string(k))) })
	l.Description = CleanText(l.Description)
	l.AmountEUR = canonicalEuros(l.AmountEUR, amountDigits)
	l.StartDate, l.EndDate = stripSpaces(l.StartDate), stripSpaces(l.EndDate)
	return nil
}

// Validate checks every rule and reports all broken ones at once.
func (l *CollectivityLink) Validate() error {
	var v Violations
	if l.StructureID == uuid.Nil {
		v.Add("structure_id", "is required")
	}
	if l.CollectivityID == uuid.Nil {
		v.Add("collectivity_id", "is required")
	}
	checkCodes(&v, "support_kinds", l.SupportKinds, SupportKinds)
	checkText(&v, "description", l.Description, 20000, false)
	checkEuros(&v, "amount_eur", l.AmountEUR, amountDigits)
	start, okStart := checkDate(&v, "start_date", l.StartDate)
	end, okEnd := checkDate(&v, "end_date", l.EndDate)
	if okStart && okEnd && !start.IsZero() && !end.IsZero() && end.Before(start) {
		v.Add("end_date", "must not be before start_date")
	}
	return v.Err()
}

// checkDate reads a calendar date ("2024-11-28"); empty is allowed (zero
// time). ok is false, with a violation, when s is no such date.
func checkDate(v *Violations, field, s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		v.Add(field, "must be a date between 1900 and 2200 such as 2024-11-28 (no time of day)")
		return time.Time{}, false
	}
	return d, true
}

// CollectivityLinkSorts are the orders of link lists; the first is the
// default. A link has no name, and its dates are often unknown.
var CollectivityLinkSorts = []Sort{SortUpdatedAtDesc}

// CollectivityLinkFilter selects links. StructureStatuses keeps the links
// of structures in those statuses (anonymous callers: published only), so
// that no list reaches a draft structure's links; nil keeps every live one.
type CollectivityLinkFilter struct {
	StructureIDs      []uuid.UUID
	CollectivityIDs   []uuid.UUID
	SupportSchemeIDs  []uuid.UUID
	SupportKinds      []SupportKind
	UpdatedSince      *time.Time
	StructureStatuses []Status
	List
}

// CollectivityLinkService stores collectivity links. Both the structure and
// the collectivity must be live; deleting a structure deletes its links.
type CollectivityLinkService interface {
	FindCollectivityLinkByID(ctx context.Context, id uuid.UUID) (*CollectivityLink, error)
	FindCollectivityLinks(ctx context.Context, f CollectivityLinkFilter) (*Page[CollectivityLink], error)
	CreateCollectivityLink(ctx context.Context, l *CollectivityLink, echo Echo) error
	UpdateCollectivityLink(ctx context.Context, id uuid.UUID, change Change[CollectivityLink]) (*CollectivityLink, error)
	DeleteCollectivityLink(ctx context.Context, id uuid.UUID, check func(*CollectivityLink) error) error
}
