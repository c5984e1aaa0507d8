package i18n

// kkMessages is the Kazakh catalog, in Cyrillic: the same keys and fmt verbs as
// enMessages. A donation is "жарна" (a contribution), to donate "көмектесу"
// (to help). Data inserted by %s never takes a case ending: the sentences put
// it after a colon or before "деп".
var kkMessages = map[string]string{
	"site.title":  "Ынтымақ қоры",
	"site.footer": "Қазақстандағы ереуілге шыққан жұмысшылардың отбасыларына арналған ынтымақ қоры. Есебіміз бәріне ашық.",

	"home.title": "Ереуілшілердің отбасыларын қолдаңыз",
	"home.lead":  "Бұл қор ереуілге шыққан жұмысшылардың — Жаңаөзен мұнайшылары мен Қарағанды кеншілерінің — отбасыларына көмектеседі. Әрбір жарна үшін көпшілік алдында алғыс айтамыз, әрбір төлем бойынша есеп береміз.",

	"nav.home":             "Басты бет",
	"nav.funds":            "Қорлар",
	"nav.donate":           "Көмектесу",
	"nav.acknowledgements": "Алғыстар",
	"nav.language":         "Тіл",

	"fund.raised":                  "Жиналды",
	"fund.of_target":               "мақсат: %s",
	"fund.in_currency":             "Барлығы, %s күнгі бағам бойынша",
	"fund.count":                   "Жарналар",
	"fund.paid_out":                "Материалдық көмек ретінде төленді",
	"fund.latest_acknowledgements": "Жақында қолдау көрсеткендер",
	"fund.donate":                  "Осы қорға көмектесу",
	"fund.restricted":              "Мақсатты қор",
	"fund.restricted_explanation":  "Бұл — мақсатты қор: оған түскен қаражаттың бәрі тек осы мақсатқа жұмсалады, басқа ештеңеге жұмсалмайды.",

	"donate.title":              "«%s» қорына көмектесу",
	"donate.choose_amount":      "Соманы таңдаңыз",
	"donate.other_amount":       "Басқа сома",
	"donate.amount":             "Сома",
	"donate.currency":           "Валюта",
	"donate.email":              "Түбіртек жіберілетін электрондық пошта",
	"donate.name":               "Атыңыз (міндетті емес)",
	"donate.organisation":       "Ұйым (міндетті емес)",
	"donate.ack.question":       "Сізге көпшілік алдында қалай алғыс айтайық?",
	"donate.ack.name":           "Атымды атап",
	"donate.ack.organisation":   "Ұйымымның атын атап",
	"donate.ack.alias":          "Бүркеншік атпен",
	"donate.ack.anonymous":      "Атымды атамай",
	"donate.alias":              "Бүркеншік ат",
	"donate.show_amount":        "Соманы көрсету",
	"donate.message":            "Қолдау сөзі (міндетті емес; комитет мүшесі мақұлдағаннан кейін сайтта жарияланады)",
	"donate.card":               "Картамен аудару",
	"donate.card_unavailable":   "Қазір картамен аудару мүмкін емес. Банк аударымы арқылы көмектесе аласыз.",
	"donate.bank.title":         "Немесе банк аударымы арқылы жіберіңіз",
	"donate.bank.holder":        "Алушы",
	"donate.bank.iban":          "IBAN",
	"donate.bank.bic":           "BIC (SWIFT)",
	"donate.bank.reference":     "Төлем мақсаты",
	"donate.bank.use_reference": "Өтінеміз, сізге алғыс айта алуымыз үшін төлем мақсатында %s деп жазыңыз.",

	"thanks.title":   "Рақмет!",
	"thanks.receipt": "Төлем расталғаннан кейін түбіртекті электрондық поштаңызға жібереміз.",

	"ack.title":         "Әрбір жарна үшін алғыс айтамыз",
	"ack.all":           "Барлық алғыстар",
	"ack.none":          "Әзірге жарна түскен жоқ.",
	"ack.date":          "Күні",
	"ack.from":          "Кімнен",
	"ack.amount":        "Сома",
	"ack.channel":       "Тәсілі",
	"ack.message":       "Қолдау сөзі",
	"ack.anonymous":     "Аноним",
	"ack.amount_hidden": "Сома көрсетілмеген",
	"ack.older":         "Ертерек",
	"ack.newer":         "Кейінірек",
	"ack.csv":           "CSV түрінде жүктеу",
	"ack.atom":          "Atom арнасы",

	"channel.card":              "карта",
	"channel.bank_transfer":     "банк аударымы",
	"channel.cash":              "қолма-қол ақша",
	"channel.cheque":            "банк чегі",
	"channel.organisation":      "ұйым",
	"channel.street_collection": "көшеде жинау",

	"ackchange.title":   "Сізге қалай алғыс айтатынымызды өзгерту",
	"ackchange.save":    "Сақтау",
	"ackchange.saved":   "Сақталды",
	"ackchange.pending": "Өзгеріс комитет мүшесі мақұлдағаннан кейін сайтта көрінеді.",

	"email.receipt.subject":            "Жарнаңыз туралы түбіртек: %s",
	"email.receipt.greeting":           "Сәлеметсіз бе, %s!",
	"email.receipt.greeting_anonymous": "Сәлеметсіз бе!",
	"email.receipt.intro":              "Жарнаңыз үшін рақмет! Толық мәлімет төменде.",
	"email.receipt.amount":             "Сомасы: %s",
	"email.receipt.fund":               "Қор: %s",
	"email.receipt.date":               "Күні: %s",
	"email.receipt.reference":          "Жарна нөмірі: %s",
	"email.receipt.acknowledged":       "Көпшілік алдында сізге былай алғыс айтамыз: %s",
	"email.receipt.change_link":        "Сізге қалай алғыс айтатынымызды мына жеке сілтеме арқылы өзгерте аласыз (оны ешкімге бермеңіз): %s",
	"email.receipt.thanks":             "Ереуілшілер мен олардың отбасыларын қолдағаныңыз үшін рақмет.",
	"email.receipt.signature":          "Ынтымақ қорының комитеті",

	"error.not_found":         "Бет табылмады",
	"error.not_found_body":    "Мұнда бет жоқ. Ол басқа жерге көшірілген болуы мүмкін немесе сілтемеде қате бар.",
	"error.internal":          "Бір нәрсе дұрыс болмады",
	"error.try_again":         "Бірнеше минуттан кейін қайталап көріңіз.",
	"error.too_many_requests": "Сұраныстар тым көп",
	"error.slow_down":         "Бір минут күте тұрып, қайталап көріңіз.",
	"error.home":              "Басты бетке өту",
}

// kkPlurals: Other only; a Kazakh noun after a numeral is singular.
var kkPlurals = map[string]forms{
	"fund.donations": {Other: "%s жарна"},
}
