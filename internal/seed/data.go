package seed

import (
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// The demo records, from the forum report. Personal names appear only in
// contacts, which anonymous callers never see. Coordinates are the centres
// of the towns named (the report gives none), for maps.

func at(lat, lon float64) *essdir.Location { return &essdir.Location{Lat: lat, Lon: lon} }

func town(city, postal, insee string) essdir.Address {
	return essdir.Address{City: city, PostalCode: postal, INSEECode: insee}
}

var (
	dijon      = town("Dijon", "21000", "21231")
	longvic    = town("Longvic", "21600", "21355")
	sombernon  = town("Sombernon", "21540", "21611")
	pontarlier = town("Pontarlier", "25300", "25462")
)

func structure(key string, s essdir.Structure) keyed[essdir.Structure] {
	s.Status, s.Source, s.ExternalID = essdir.StatusPublished, Source, key
	return keyed[essdir.Structure]{"structure:" + key, &s}
}

func structures() []keyed[essdir.Structure] {
	facebook := func(url string) []essdir.SocialLink { return []essdir.SocialLink{{Network: "facebook", URL: url}} }
	return []keyed[essdir.Structure]{
		structure("pes21", essdir.Structure{
			Name: "Pôle d'Économie Solidaire 21", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Accompagne les porteurs de projet d'utilité sociale et les structures de l'ESS en Côte-d'Or ; porteur du DLA et du Générateur BFC sur le département.",
			Description: "Vous êtes un·e porteur·se de projet, votre idée est d'utilité générale et vous souhaitez créer un emploi : le Pôle d'Économie Solidaire 21 peut vous accompagner dans l'émergence et la construction de votre projet. Il organise chaque année en novembre des rendez-vous du Mois de l'ESS.",
			Sectors:     []essdir.Sector{essdir.SectorSupport, essdir.SectorLocalDevelopment},
			Address:     dijon, Location: at(47.3220, 5.0415),
			Email: "contact@pole-economie-solidaire21.org", Phone: "03 80 50 90 47",
			Networks: []string{"RTES"},
			Contacts: []essdir.Contact{{Name: "Delphine Lambert", Role: "animation de la table ronde du 28 novembre 2024"}},
		}),
		structure("rtes", essdir.Structure{
			Name: "Réseau des collectivités Territoriales pour une Économie Solidaire (RTES)", LegalForm: essdir.LegalFormAssociation,
			Summary:  "Réseau national qui regroupe des collectivités territoriales engagées dans le développement de l'économie sociale et solidaire.",
			Sectors:  []essdir.Sector{essdir.SectorLocalDevelopment},
			Website:  "https://www.rtes.fr/",
			Contacts: []essdir.Contact{{Name: "Anne-Laure Federici", Role: "animation de la table ronde du 28 novembre 2024"}},
		}),
		structure("marmite", essdir.Structure{
			Name: "La Marmite Solidaire", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Préparation et transformation de produits alimentaires, ateliers culinaires anti-gaspillage pour les adolescents à Pontarlier.",
			Description: "Préparation et transformation de produits alimentaires ; ateliers culinaires pour sensibiliser les adolescents à l'anti-gaspillage ; implication des jeunes dans des activités bénévoles. La banque alimentaire et des producteurs locaux fournissent les produits. Née avec la méthode du Générateur Bourgogne-Franche-Comté.",
			Sectors:     []essdir.Sector{essdir.SectorFood, essdir.SectorEnvironment},
			Address:     pontarlier, Location: at(46.9035, 6.3547),
			SocialLinks: facebook("https://www.facebook.com/lamarmitesolidaire/"),
			Contacts:    []essdir.Contact{{Name: "Ophélie Rochas", Role: "intervenante à la table ronde"}},
		}),
		structure("champ", essdir.Structure{
			Name: "Le Champ des Sourires", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Ferme florale et chantier d'insertion à Longvic, pour rompre l'isolement et autonomiser les femmes.",
			Description: "Ferme florale destinée à réduire l'isolement et autonomiser les femmes via des activités professionnelles liées à la culture des fleurs : semis, plantation, production, création de bouquets. Chantier d'insertion : accueille 9 salariés en insertion (11 accompagnés au total). Production locale et durable, alternative aux fleuristes traditionnels ; gestion écologique (récupération des eaux de pluie, fleurs vivaces peu consommatrices d'eau). Collaboration avec Pli, la Mission Locale, France Travail, le CCAS et le CESAM (accompagnement socio-professionnel).",
			Sectors:     []essdir.Sector{essdir.SectorAgriculture, essdir.SectorInclusion},
			Labels:      []essdir.Label{essdir.LabelACI},
			Address:     longvic, Location: at(47.2870, 5.0640),
			SocialLinks: facebook("https://www.facebook.com/lechamppedessourires/"),
			Contacts: []essdir.Contact{
				{Name: "Flore Geillon", Role: "intervenante à la table ronde"},
				{Name: "Philippe Chagnon", Role: "Ville de Longvic"},
			},
		}),
		structure("boucle", essdir.Structure{
			Name: "La Boucle", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Recyclerie et ateliers de réparation, de bricolage et de couture à Sombernon.",
			Description: "Recyclerie (collecte et vente de produits de seconde main) et ateliers (réparation, bricolage, couture). Née avec l'accompagnement du Générateur Bourgogne-Franche-Comté, soutenue par la Communauté de communes Ouche et Montagne.",
			Sectors:     []essdir.Sector{essdir.SectorReuse, essdir.SectorEnvironment},
			Address:     sombernon, Location: at(47.3086, 4.7083),
			Contacts: []essdir.Contact{
				{Name: "Tao Marcuz", Role: "intervenant à la table ronde"},
				{Name: "Jean-Maxime Bonin", Role: "Communauté de communes Ouche et Montagne"},
			},
		}),
		structure("cesam", essdir.Structure{
			Name: "CESAM – Espace Co-Hop", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Intégration linguistique et sociale des nouveaux arrivants, lutte contre l'illettrisme, formations sanitaires et sociales ; tiers-lieu de coopération à Dijon.",
			Description: "Le CESAM est un centre destiné à faciliter l'intégration linguistique et sociale des nouveaux arrivants en France, lutte contre l'illettrisme et dispense des formations dans le sanitaire et social. L'Espace Co-Hop est un tiers-lieu destiné à favoriser la coopération à Dijon : l'espace est proposé à la location.",
			Sectors:     []essdir.Sector{essdir.SectorEducation, essdir.SectorSocialAction},
			Address:     essdir.Address{Street: "3 rue Jean XXIII", City: "Dijon", PostalCode: "21000", INSEECode: "21231"},
			Location:    at(47.3220, 5.0415), Website: "https://cesamformation.org/",
		}),
		structure("gbfc", essdir.Structure{
			Name: "Générateur Bourgogne-Franche-Comté", LegalForm: essdir.LegalFormAssociation,
			Summary:     "Méthode participative pour faire émerger des projets locaux en mobilisant habitants et acteurs du territoire.",
			Description: "Le Générateur Bourgogne-Franche-Comté (GBFC) accompagne les collectivités dans le diagnostic, la co-construction et la mise en œuvre de projets innovants et solidaires. Son site internet est en chantier.",
			Sectors:     []essdir.Sector{essdir.SectorSupport, essdir.SectorLocalDevelopment},
			SocialLinks: facebook("https://www.facebook.com/p/G%C3%A9n%C3%A9rateur-BFC-100068459922930/"),
		}),
		structure("phoenix", essdir.Structure{
			Name:        "Le Thé du Phoenix",
			Summary:     "Innovation écologique zéro déchet : des gobelets compostables contenant café ou thé.",
			Sectors:     []essdir.Sector{essdir.SectorEnvironment, essdir.SectorFood},
			SocialLinks: facebook("https://www.facebook.com/theduphenix/"),
		}),
		structure("alzheimer", essdir.Structure{
			Name: "France Alzheimer", LegalForm: essdir.LegalFormAssociation,
			Summary: "Association nationale de soutien aux personnes atteintes de la maladie d'Alzheimer et à leurs proches : sensibilisation, groupes de soutien, formations, plaidoyer pour une meilleure prise en charge.",
			Sectors: []essdir.Sector{essdir.SectorHealth, essdir.SectorSocialAction},
			Website: "https://chercheurs.francealzheimer.org/",
		}),
		structure("pimms", essdir.Structure{
			Name:    "Pimms Médiation Dijon",
			Summary: "Médiation et gestion amiable des conflits familiaux, professionnels ou de voisinage, pour favoriser le dialogue et la compréhension mutuelle.",
			Sectors: []essdir.Sector{essdir.SectorMediation},
			Address: dijon, Location: at(47.3220, 5.0415), Website: "https://pimmsdedijon.org",
		}),
		structure("cigales", essdir.Structure{
			Name: "Les CIGALES de Bourgogne-Franche-Comté", LegalForm: essdir.LegalFormAssociation,
			Summary: "Clubs d'investisseurs citoyens qui financent et accompagnent des projets éthiques sur leurs territoires.",
			Sectors: []essdir.Sector{essdir.SectorSolidarityFinance},
			Website: "https://www.cigales-bourgognefranchecomte.fr",
		}),
		structure("ble", essdir.Structure{
			Name:    "Le Blé Solidaire",
			Summary: "Présent sur les stands du forum du 28 novembre 2024 à Dijon.",
		}),
		structure("arar", essdir.Structure{
			Name: "Association Régionale des Acteurs du Réemploi de Bourgogne-Franche-Comté (ARAR BFC)", LegalForm: essdir.LegalFormAssociation,
			Summary: "Réseau qui fédère les structures engagées dans le réemploi solidaire et l'économie circulaire en Bourgogne-Franche-Comté.",
			Sectors: []essdir.Sector{essdir.SectorReuse, essdir.SectorEnvironment},
			Website: "https://www.arar-bfc.fr",
		}),
	}
}

func activity(key, structure string, a essdir.Activity) keyed[essdir.Activity] {
	a.StructureID = ID("structure:" + structure)
	return keyed[essdir.Activity]{"activity:" + key, &a}
}

func activities() []keyed[essdir.Activity] {
	youth := []essdir.Audience{essdir.AudienceYoungPeople}
	return []keyed[essdir.Activity]{
		activity("marmite-transformation", "marmite", essdir.Activity{Name: "Préparation et transformation de produits alimentaires",
			Sectors: []essdir.Sector{essdir.SectorFood}, Audiences: []essdir.Audience{essdir.AudienceGeneralPublic}}),
		activity("marmite-ateliers", "marmite", essdir.Activity{Name: "Ateliers culinaires anti-gaspillage",
			Description: "Ateliers culinaires pour sensibiliser les adolescents à l'anti-gaspillage.",
			Sectors:     []essdir.Sector{essdir.SectorFood, essdir.SectorEnvironment}, Audiences: youth}),
		activity("marmite-benevolat", "marmite", essdir.Activity{Name: "Engagement bénévole des jeunes",
			Description: "Implication des jeunes dans des activités bénévoles.", Audiences: youth}),
		activity("champ-ferme", "champ", essdir.Activity{Name: "Ferme florale",
			Description: "Semis, plantation, production et création de bouquets de fleurs locales et durables.",
			Sectors:     []essdir.Sector{essdir.SectorAgriculture}, Audiences: []essdir.Audience{essdir.AudienceWomen}}),
		activity("champ-insertion", "champ", essdir.Activity{Name: "Chantier d'insertion",
			Description: "9 salariés en insertion, 11 personnes accompagnées au total.",
			Sectors:     []essdir.Sector{essdir.SectorInclusion}, Audiences: []essdir.Audience{essdir.AudienceWomen, essdir.AudienceJobSeekers}}),
		activity("champ-abonnements", "champ", essdir.Activity{Name: "Abonnements de bouquets locaux",
			Sectors: []essdir.Sector{essdir.SectorAgriculture}, Audiences: []essdir.Audience{essdir.AudienceGeneralPublic}}),
		activity("boucle-recyclerie", "boucle", essdir.Activity{Name: "Recyclerie",
			Description: "Collecte et vente de produits de seconde main.",
			Sectors:     []essdir.Sector{essdir.SectorReuse}, Audiences: []essdir.Audience{essdir.AudienceGeneralPublic}}),
		activity("boucle-ateliers", "boucle", essdir.Activity{Name: "Ateliers de réparation, bricolage et couture",
			Sectors: []essdir.Sector{essdir.SectorReuse}, Audiences: []essdir.Audience{essdir.AudienceGeneralPublic}}),
		activity("cesam-integration", "cesam", essdir.Activity{Name: "Intégration linguistique et sociale des nouveaux arrivants",
			Sectors: []essdir.Sector{essdir.SectorEducation}, Audiences: []essdir.Audience{essdir.AudienceNewcomers}}),
		activity("cesam-illettrisme", "cesam", essdir.Activity{Name: "Lutte contre l'illettrisme",
			Sectors: []essdir.Sector{essdir.SectorEducation}}),
		activity("cesam-formations", "cesam", essdir.Activity{Name: "Formations sanitaires et sociales",
			Sectors: []essdir.Sector{essdir.SectorEducation, essdir.SectorHealth}}),
		activity("cesam-cohop", "cesam", essdir.Activity{Name: "Tiers-lieu Espace Co-Hop",
			Description: "Un espace de coopération proposé à la location.",
			Sectors:     []essdir.Sector{essdir.SectorLocalDevelopment}, Audiences: []essdir.Audience{essdir.AudienceESSActors}}),
	}
}

func collectivity(key string, c essdir.Collectivity) keyed[essdir.Collectivity] {
	c.Source, c.ExternalID = Source, key
	return keyed[essdir.Collectivity]{"collectivity:" + key, &c}
}

func collectivities() []keyed[essdir.Collectivity] {
	return []keyed[essdir.Collectivity]{
		collectivity("longvic", essdir.Collectivity{Name: "Ville de Longvic", Kind: essdir.CollectivityCommune, INSEECode: "21355"}),
		collectivity("ccom", essdir.Collectivity{Name: "Communauté de communes Ouche et Montagne", Kind: essdir.CollectivityEPCI, SIREN: "200039055"}),
		collectivity("dijon-metropole", essdir.Collectivity{Name: "Dijon Métropole", Kind: essdir.CollectivityEPCI, SIREN: "242100410"}),
		collectivity("region-bfc", essdir.Collectivity{Name: "Région Bourgogne-Franche-Comté", Kind: essdir.CollectivityRegion, INSEECode: "27"}),
		collectivity("preval", essdir.Collectivity{Name: "Préval Haut Doubs", Kind: essdir.CollectivitySyndicat, DepartmentCode: "25", RegionCode: "27"}),
		collectivity("draaf-bfc", essdir.Collectivity{Name: "DRAAF Bourgogne-Franche-Comté", Kind: essdir.CollectivityStateService, RegionCode: "27"}),
	}
}

func events() []keyed[essdir.Event] {
	paris, _ := time.LoadLocation("Europe/Paris")
	free, edition := true, 17
	s := func(key string) uuid.UUID { return ID("structure:" + key) }
	participant := func(key string, role essdir.ParticipantRole) essdir.Participant {
		return essdir.Participant{StructureID: s(key), Role: role}
	}
	forum := &essdir.Event{
		Title:       "Engager sa collectivité dans un projet : mobiliser l'ESS en faveur de l'attractivité du territoire",
		Description: "Atelier et forum. Témoignages et exemples concrets de coopération entre collectivités et porteurs de projet : une table ronde sur trois activités de l'ESS et leurs liens avec le territoire et la collectivité (La Marmite Solidaire, Le Champ des Sourires, La Boucle), un focus sur les dispositifs d'accompagnement (Générateur BFC, DLA), puis des stands pour se rencontrer. Organisé avec Dijon Métropole et le RTES.",
		StartsAt:    time.Date(2024, 11, 28, 14, 0, 0, 0, paris),
		EndsAt:      time.Date(2024, 11, 28, 18, 0, 0, 0, paris),
		Timezone:    "Europe/Paris",
		Venue: essdir.Venue{Name: "CESAM – Espace Co-Hop", Street: "3 rue Jean XXIII", City: "Dijon",
			PostalCode: "21000", INSEECode: "21231", Location: at(47.3220, 5.0415)},
		IsFree:    &free,
		Audiences: []essdir.Audience{essdir.AudienceESSActors, essdir.AudienceLocalOfficials},
		Formats:   []essdir.EventFormat{essdir.FormatWorkshop, essdir.FormatForum, essdir.FormatRoundTable, essdir.FormatStands},
		Campaign:  "Mois de l'ESS", Edition: &edition,
		Organizers: []essdir.Organizer{
			{StructureID: s("pes21")},
			{CollectivityID: ID("collectivity:dijon-metropole")},
			{StructureID: s("rtes")},
		},
		Participants: []essdir.Participant{
			participant("pes21", essdir.ParticipantModerator), participant("rtes", essdir.ParticipantModerator),
			participant("marmite", essdir.ParticipantSpeaker), participant("champ", essdir.ParticipantSpeaker), participant("boucle", essdir.ParticipantSpeaker),
			participant("rtes", essdir.ParticipantExhibitor), participant("cesam", essdir.ParticipantExhibitor), participant("gbfc", essdir.ParticipantExhibitor),
			participant("phoenix", essdir.ParticipantExhibitor), participant("champ", essdir.ParticipantExhibitor), participant("alzheimer", essdir.ParticipantExhibitor),
			participant("pimms", essdir.ParticipantExhibitor), participant("cigales", essdir.ParticipantExhibitor), participant("ble", essdir.ParticipantExhibitor),
			participant("arar", essdir.ParticipantExhibitor),
		},
		Status: essdir.EventScheduled, Source: Source, ExternalID: "forum-2024-11-28",
	}
	return []keyed[essdir.Event]{{"event:forum-2024-11-28", forum}}
}

func link(key string, l essdir.CollectivityLink) keyed[essdir.CollectivityLink] {
	return keyed[essdir.CollectivityLink]{"link:" + key, &l}
}

// links are the support the round table describes.
func links() []keyed[essdir.CollectivityLink] {
	s := func(key string) uuid.UUID { return ID("structure:" + key) }
	c := func(key string) uuid.UUID { return ID("collectivity:" + key) }
	return []keyed[essdir.CollectivityLink]{
		link("longvic-champ", essdir.CollectivityLink{StructureID: s("champ"), CollectivityID: c("longvic"),
			SupportKinds: []essdir.SupportKind{essdir.SupportLand, essdir.SupportWorks, essdir.SupportPremises},
			Description:  "Terrain d'un hectare avec bail rural, travaux pour viabiliser le terrain, mise à disposition de locaux."}),
		link("ccom-boucle", essdir.CollectivityLink{StructureID: s("boucle"), CollectivityID: c("ccom"),
			SupportKinds:    []essdir.SupportKind{essdir.SupportFunding, essdir.SupportMethodology, essdir.SupportSubsidy},
			Description:     "Financement, accompagnement méthodologique via le Générateur BFC et subventions sur trois ans.",
			SupportSchemeID: ID("scheme:gbfc")}),
		link("preval-marmite", essdir.CollectivityLink{StructureID: s("marmite"), CollectivityID: c("preval"),
			SupportKinds: []essdir.SupportKind{essdir.SupportPartnership},
			Description:  "Soutien de Préval Haut Doubs."}),
		link("region-marmite", essdir.CollectivityLink{StructureID: s("marmite"), CollectivityID: c("region-bfc"),
			SupportKinds:    []essdir.SupportKind{essdir.SupportMethodology, essdir.SupportFunding},
			Description:     "Accompagnement via la méthode du Générateur Bourgogne-Franche-Comté (diagnostic et accompagnement au démarrage), que la Région finance ; soutien de la Région.",
			SupportSchemeID: ID("scheme:gbfc")}),
		link("draaf-marmite", essdir.CollectivityLink{StructureID: s("marmite"), CollectivityID: c("draaf-bfc"),
			SupportKinds: []essdir.SupportKind{essdir.SupportOther},
			Description:  "Soutien de la DRAAF Bourgogne-Franche-Comté."}),
		link("dijon-metropole-pes21", essdir.CollectivityLink{StructureID: s("pes21"), CollectivityID: c("dijon-metropole"),
			SupportKinds: []essdir.SupportKind{essdir.SupportPartnership, essdir.SupportCommunication},
			Description:  "Co-organisation du forum « Engager sa collectivité dans un projet » du 28 novembre 2024, dans le cadre du Mois de l'ESS."}),
	}
}

func scheme(key string, x essdir.SupportScheme) keyed[essdir.SupportScheme] {
	return keyed[essdir.SupportScheme]{"scheme:" + key, &x}
}

// schemes are the two support schemes the report presents.
func schemes() []keyed[essdir.SupportScheme] {
	s := func(key string) uuid.UUID { return ID("structure:" + key) }
	steps := func(titles ...string) []essdir.SchemeStep {
		out := make([]essdir.SchemeStep, len(titles))
		for i, t := range titles {
			out[i] = essdir.SchemeStep{Position: i + 1, Title: t}
		}
		return out
	}
	return []keyed[essdir.SupportScheme]{
		scheme("dla", essdir.SupportScheme{
			Name: "Dispositif Local d'Accompagnement de Côte-d'Or", Acronym: "DLA",
			Description:         "Accompagnement sur mesure et gratuit des structures de l'ESS employeuses qui ont des problématiques à résoudre : renforcer leur modèle économique, consolider ou créer des emplois, améliorer leur stratégie, revoir leur gouvernance.",
			OperatorStructureID: s("pes21"),
			TargetAudiences:     []essdir.TargetAudience{essdir.TargetEmployerStructures},
			Steps:               steps("Accueil", "Diagnostic partagé", "Construction du parcours", "Mise en œuvre de l'accompagnement", "Suivi"),
			Territory:           essdir.SchemeTerritory{DepartmentCodes: []string{"21"}},
			Email:               "contact@pole-economie-solidaire21.org", Phone: "03 80 50 90 47",
		}),
		scheme("gbfc", essdir.SupportScheme{
			Name: "Générateur Bourgogne-Franche-Comté", Acronym: "GBFC",
			Description:         "Méthode participative pour faire émerger des projets locaux en mobilisant habitants et acteurs du territoire : elle accompagne les collectivités dans le diagnostic, la co-construction et la mise en œuvre de projets innovants et solidaires. Porté en Côte-d'Or par le Pôle d'Économie Solidaire 21.",
			OperatorStructureID: s("pes21"),
			Funders: []essdir.Funder{
				{Name: "Ademe"},
				{CollectivityID: ID("collectivity:region-bfc")},
			},
			TargetAudiences: []essdir.TargetAudience{essdir.TargetCollectivities, essdir.TargetProjectLeaders},
			Steps:           steps("Diagnostic", "Co-construction", "Mise en œuvre"),
			Territory:       essdir.SchemeTerritory{RegionCodes: []string{"27"}},
			Beneficiaries:   []essdir.Beneficiary{{StructureID: s("marmite")}, {StructureID: s("boucle")}},
		}),
	}
}
