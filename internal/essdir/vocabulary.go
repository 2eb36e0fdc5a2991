package essdir

// The coded fields of the directory take their values from the vocabularies
// below. Each code is declared once, as a typed constant (which is how the
// OpenAPI generator learns the enum), and described once, in a Term list
// (which is what validation checks and what /v1/vocabularies will serve).

// Term is one value of a vocabulary with its French label.
type Term struct {
	Value       string `json:"value"`
	Label       string `json:"label"`
	Description string `json:"description"`
}

// Vocabulary is a named list of terms.
type Vocabulary struct {
	Name  string
	Terms []Term
	index map[string]struct{}
}

// Has reports whether value is one of the vocabulary's codes.
func (v *Vocabulary) Has(value string) bool {
	_, ok := v.index[value]
	return ok
}

func newVocabulary(name string, terms ...Term) *Vocabulary {
	v := &Vocabulary{Name: name, Terms: terms, index: make(map[string]struct{}, len(terms))}
	for _, t := range terms {
		v.index[t.Value] = struct{}{}
	}
	return v
}

// LegalForm is the legal status of a structure.
type LegalForm string // @name LegalForm

// Legal forms.
const (
	LegalFormAssociation   LegalForm = "association"
	LegalFormSCOP          LegalForm = "scop"
	LegalFormSCIC          LegalForm = "scic"
	LegalFormCAE           LegalForm = "cae"
	LegalFormCooperative   LegalForm = "cooperative"
	LegalFormMutual        LegalForm = "mutual"
	LegalFormFoundation    LegalForm = "foundation"
	LegalFormEndowmentFund LegalForm = "endowment_fund"
	LegalFormESSCompany    LegalForm = "ess_company"
	LegalFormPublicBody    LegalForm = "public_body"
	LegalFormOther         LegalForm = "other"
)

// Sector is a field of activity.
type Sector string // @name Sector

// Sectors.
const (
	SectorFood              Sector = "food"
	SectorAgriculture       Sector = "agriculture"
	SectorReuse             Sector = "reuse"
	SectorEnvironment       Sector = "environment"
	SectorInclusion         Sector = "employment_inclusion"
	SectorHealth            Sector = "health"
	SectorSocialAction      Sector = "social_action"
	SectorCulture           Sector = "culture"
	SectorEducation         Sector = "education_training"
	SectorMediation         Sector = "mediation"
	SectorSolidarityFinance Sector = "solidarity_finance"
	SectorHousing           Sector = "housing"
	SectorMobility          Sector = "mobility"
	SectorDigital           Sector = "digital"
	SectorSport             Sector = "sport_leisure"
	SectorTourism           Sector = "tourism"
	SectorFairTrade         Sector = "fair_trade"
	SectorLocalDevelopment  Sector = "local_development"
	SectorSupport           Sector = "business_support"
)

// Label is an agrément or label held by a structure.
type Label string // @name Label

// Labels.
const (
	LabelACI      Label = "aci"
	LabelAI       Label = "ai"
	LabelEI       Label = "ei"
	LabelETTI     Label = "etti"
	LabelEA       Label = "ea"
	LabelESAT     Label = "esat"
	LabelESUS     Label = "esus"
	LabelGEIQ     Label = "geiq"
	LabelRUP      Label = "rup"
	LabelFinansol Label = "finansol"
)

// Audience is a public a structure, an activity or an event is meant for.
type Audience string // @name Audience

// Audiences.
const (
	AudienceGeneralPublic  Audience = "general_public"
	AudienceYoungPeople    Audience = "young_people"
	AudienceWomen          Audience = "women"
	AudienceSeniors        Audience = "seniors"
	AudienceFamilies       Audience = "families"
	AudienceJobSeekers     Audience = "job_seekers"
	AudienceDisabled       Audience = "people_with_disabilities"
	AudienceNewcomers      Audience = "newcomers"
	AudienceESSActors      Audience = "ess_actors"
	AudienceLocalOfficials Audience = "local_officials"
	AudienceProjectLeaders Audience = "project_leaders"
	AudienceCompanies      Audience = "companies"
	AudiencePatientsCarers Audience = "patients_carers"
)

// SupportKind is a kind of support a collectivity gives a structure.
type SupportKind string // @name SupportKind

// Support kinds.
const (
	SupportFunding       SupportKind = "funding"
	SupportSubsidy       SupportKind = "subsidy"
	SupportLand          SupportKind = "land"
	SupportPremises      SupportKind = "premises"
	SupportWorks         SupportKind = "works"
	SupportMethodology   SupportKind = "methodological_support"
	SupportCommunication SupportKind = "communication"
	SupportProcurement   SupportKind = "procurement"
	SupportPartnership   SupportKind = "partnership"
	SupportStaff         SupportKind = "staff"
	SupportOther         SupportKind = "other"
)

// EventFormat is a format of an event or of one of its parts.
type EventFormat string // @name EventFormat

// Event formats.
const (
	FormatRoundTable EventFormat = "round_table"
	FormatWorkshop   EventFormat = "workshop"
	FormatForum      EventFormat = "forum"
	FormatStands     EventFormat = "stands"
	FormatConference EventFormat = "conference"
	FormatWebinar    EventFormat = "webinar"
	FormatTraining   EventFormat = "training"
	FormatVisit      EventFormat = "visit"
	FormatOther      EventFormat = "other"
)

// TargetAudience is who a support scheme is for.
type TargetAudience string // @name TargetAudience

// Target audiences.
const (
	TargetCollectivities     TargetAudience = "collectivities"
	TargetEmployerStructures TargetAudience = "employer_structures"
	TargetProjectLeaders     TargetAudience = "project_leaders"
	TargetAssociations       TargetAudience = "associations"
	TargetCompanies          TargetAudience = "companies"
	TargetCitizens           TargetAudience = "citizens"
)

// CollectivityKind is the kind of a local authority or public body.
type CollectivityKind string // @name CollectivityKind

// Collectivity kinds.
const (
	CollectivityCommune      CollectivityKind = "commune"
	CollectivityEPCI         CollectivityKind = "epci"
	CollectivityDepartement  CollectivityKind = "departement"
	CollectivityRegion       CollectivityKind = "region"
	CollectivitySyndicat     CollectivityKind = "syndicat"
	CollectivityStateService CollectivityKind = "state_service"
	CollectivityOther        CollectivityKind = "other"
)
