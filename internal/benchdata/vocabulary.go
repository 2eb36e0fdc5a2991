package benchdata

// Kinds begin structure names, most frequent first.
var Kinds = []string{
	"Association", "Coopérative", "Recyclerie", "Ressourcerie", "Tiers-lieu", "Chantier d'insertion",
	"Épicerie solidaire", "Jardin partagé", "Régie de quartier", "Mutuelle", "Atelier", "Collectif",
	"Fondation", "Entreprise adaptée", "Maison", "Café associatif", "Fabrique", "Réseau",
}

// Vocabulary is written for the generator (no word list ships with a
// package here): words of ESS names and descriptions, most frequent first,
// so that a Zipf draw makes "solidaire" common and "apiculture" rare.
var Vocabulary = []string{
	"solidaire", "association", "économie", "sociale", "insertion", "emploi", "local", "territoire",
	"citoyen", "durable", "réemploi", "alimentation", "culture", "jeunesse", "habitat", "mobilité",
	"énergie", "environnement", "formation", "accompagnement", "santé", "numérique", "quartier",
	"rural", "vélo", "jardin", "ferme", "bio", "circuit", "court", "recyclage", "réparation",
	"textile", "mobilier", "informatique", "livres", "musique", "théâtre", "cinéma", "sport",
	"seniors", "enfance", "famille", "femmes", "handicap", "logement", "coworking", "fablab",
	"atelier", "épicerie", "restaurant", "traiteur", "cantine", "maraîchage", "compost", "déchets",
	"zéro", "gaspillage", "partage", "entraide", "bénévolat", "coopération", "transition",
	"écologique", "participatif", "inclusion", "handicap", "autonomie", "aide", "domicile",
	"services", "personnes", "lien", "social", "éducation", "populaire", "médiation", "accueil",
	"migrants", "réfugiés", "langue", "française", "alphabétisation", "insertion", "professionnelle",
	"chantier", "bâtiment", "écoconstruction", "paille", "bois", "forêt", "eau", "rivière",
	"montagne", "littoral", "pêche", "apiculture", "miel", "vigne", "vin", "brasserie", "fromagerie",
	"boulangerie", "pain", "monnaie", "locale", "finance", "épargne", "microcrédit", "tourisme",
	"patrimoine", "artisanat", "couture", "céramique", "photographie", "radio", "journal", "presse",
	"podcast", "festival", "guinguette", "conserverie", "légumerie", "abattoir", "mécanique",
	"garage", "covoiturage", "autopartage", "navette", "solaire", "éolien", "méthanisation",
}
