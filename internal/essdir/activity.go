package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Activity is something a structure does (a recyclerie's repair workshops, a
// chantier d'insertion's market garden), with the publics it serves.
type Activity struct {
	Record
	StructureID uuid.UUID
	Name        string
	Description string
	Sectors     []Sector
	Audiences   []Audience
}

// Derive puts the activity in its stored form; an update that leaves out the
// structure keeps the stored one.
func (a *Activity) Derive(_ context.Context, _ Geography, stored *Activity, _ *Violations) error {
	a.Name = CleanText(a.Name)
	a.Description = CleanText(a.Description)
	a.Sectors = dedupe(a.Sectors, func(v Sector) Sector { return Sector(CleanText(string(v))) })
	a.Audiences = dedupe(a.Audiences, func(v Audience) Audience { return Audience(CleanText(string(v))) })
	if stored != nil && a.StructureID == uuid.Nil {
		a.StructureID = stored.StructureID
	}
	return nil
}

// Validate checks every rule and reports all broken ones at once.
func (a *Activity) Validate() error {
	var v Violations
	if a.StructureID == uuid.Nil {
		v.Add("structure_id", "is required")
	}
	checkText(&v, "name", a.Name, 200, true)
	checkText(&v, "description", a.Description, 20000, false)
	checkCodes(&v, "sectors", a.Sectors, Sectors)
	checkCodes(&v, "audiences", a.Audiences, Audiences)
	return v.Err()
}

// ActivitySorts are the orders of activity lists; the first is the default.
var ActivitySorts = []Sort{SortName, SortUpdatedAtDesc}

// ActivityFilter selects activities: by their structure (every structure
// filter applies to it, including its status, so that anonymous callers
// see only the activities of published structures) and by their audience.
type ActivityFilter struct {
	Structure    StructureFilter
	StructureIDs []uuid.UUID
	Audiences    []Audience
	Sectors      []Sector
	UpdatedSince *time.Time
	List
}

// ActivityService stores activities.
type ActivityService interface {
	FindActivityByID(ctx context.Context, id uuid.UUID) (*Activity, error)
	FindActivities(ctx context.Context, f ActivityFilter) (*Page[Activity], error)
	CreateActivity(ctx context.Context, a *Activity, echo Echo) error
	UpdateActivity(ctx context.Context, id uuid.UUID, change Change[Activity]) (*Activity, error)
	DeleteActivity(ctx context.Context, id uuid.UUID, check func(*Activity) error) error
}
