package i18n

// ruMessages is the Russian catalog: the same keys and fmt verbs as enMessages.
// Data inserted by %s (a fund's or a donor's name) is never declined: the
// sentences put it after a colon or in the nominative.
var ruMessages = map[string]string{
	"site.title":  "Фонд солидарности",
	"site.footer": "Фонд солидарности с семьями бастующих рабочих Казахстана. Наша отчётность открыта для всех.",

	"home.title": "Поддержите семьи бастующих",
	"home.lead":  "Этот фонд помогает семьям бастующих рабочих — нефтяников Жанаозена и шахтёров Караганды. Мы публично благодарим за каждое пожертвование и отчитываемся за каждую выплату.",

	"nav.home":             "Главная",
	"nav.funds":            "Фонды",
	"nav.donate":           "Пожертвовать",
	"nav.acknowledgements": "Благодарности",
	"nav.language":         "Язык",

	"fund.raised":                  "Собрано",
	"fund.of_target":               "из необходимых %s",
	"fund.in_currency":             "Всего по курсу на %s",
	"fund.count":                   "Пожертвования",
	"fund.paid_out":                "Выплачено в виде материальной помощи",
	"fund.latest_acknowledgements": "Недавно поддержали",
	"fund.donate":                  "Пожертвовать в этот фонд",
	"fund.restricted":              "Целевой фонд",
	"fund.restricted_explanation":  "Это целевой фонд: всё, что в него поступает, идёт только на его цель и ни на что другое.",

	"donate.title":              "Пожертвовать в фонд «%s»",
	"donate.choose_amount":      "Выберите сумму",
	"donate.other_amount":       "Другая сумма",
	"donate.amount":             "Сумма",
	"donate.currency":           "Валюта",
	"donate.email":              "Электронная почта для квитанции",
	"donate.name":               "Ваше имя (необязательно)",
	"donate.organisation":       "Организация (необязательно)",
	"donate.ack.question":       "Как нам поблагодарить вас публично?",
	"donate.ack.name":           "По имени",
	"donate.ack.organisation":   "По названию организации",
	"donate.ack.alias":          "Под псевдонимом",
	"donate.ack.anonymous":      "Анонимно",
	"donate.alias":              "Псевдоним",
	"donate.show_amount":        "Показывать сумму",
	"donate.message":            "Слова поддержки (необязательно; появятся на сайте, когда их одобрит член комитета)",
	"donate.card":               "Пожертвовать картой",
	"donate.card_unavailable":   "Пожертвования картой сейчас недоступны. Вы можете помочь банковским переводом.",
	"donate.bank.title":         "Или сделайте банковский перевод",
	"donate.bank.holder":        "Получатель",
	"donate.bank.iban":          "IBAN",
	"donate.bank.bic":           "BIC (SWIFT)", // not "БИК", the Russian domestic code
	"donate.bank.reference":     "Назначение платежа",
	"donate.bank.use_reference": "Пожалуйста, укажите в назначении платежа %s — так мы сможем вас поблагодарить.",

	"thanks.title":   "Спасибо!",
	"thanks.receipt": "Квитанцию пришлём по электронной почте, как только платёж будет подтверждён.",

	"ack.title":         "Мы поблагодарим за каждое пожертвование",
	"ack.all":           "Все благодарности",
	"ack.none":          "Пока пожертвований нет.",
	"ack.date":          "Дата",
	"ack.from":          "От кого",
	"ack.amount":        "Сумма",
	"ack.channel":       "Способ",
	"ack.message":       "Слова поддержки",
	"ack.anonymous":     "Аноним",
	"ack.amount_hidden": "Сумма не указана",
	"ack.older":         "Раньше",
	"ack.newer":         "Позже",
	"ack.csv":           "Скачать в CSV",
	"ack.atom":          "Лента Atom",

	"channel.card":              "карта",
	"channel.bank_transfer":     "банковский перевод",
	"channel.cash":              "наличные",
	"channel.cheque":            "банковский чек", // a bare "чек" reads as a till receipt
	"channel.organisation":      "организация",
	"channel.street_collection": "уличный сбор",

	"ackchange.title":   "Изменить, как мы вас благодарим",
	"ackchange.save":    "Сохранить",
	"ackchange.saved":   "Сохранено",
	"ackchange.pending": "Изменение появится на сайте, когда его одобрит член комитета.",

	"email.receipt.subject":            "Квитанция о пожертвовании: %s",
	"email.receipt.greeting":           "Здравствуйте, %s!",
	"email.receipt.greeting_anonymous": "Здравствуйте!",
	"email.receipt.intro":              "Спасибо за ваше пожертвование! Вот его подробности.",
	"email.receipt.amount":             "Сумма: %s",
	"email.receipt.fund":               "Фонд: %s",
	"email.receipt.date":               "Дата: %s",
	"email.receipt.reference":          "Номер пожертвования: %s",
	"email.receipt.acknowledged":       "Публично мы поблагодарим вас так: %s",
	"email.receipt.change_link":        "Чтобы изменить, как мы вас благодарим, откройте эту личную ссылку (не передавайте её никому): %s",
	"email.receipt.thanks":             "Спасибо, что поддерживаете бастующих и их семьи.",
	"email.receipt.signature":          "Комитет фонда солидарности",

	"error.not_found":         "Страница не найдена",
	"error.not_found_body":    "Здесь ничего нет. Возможно, страница переехала или в ссылке опечатка.",
	"error.internal":          "Что-то пошло не так",
	"error.try_again":         "Пожалуйста, попробуйте ещё раз через несколько минут.",
	"error.too_many_requests": "Слишком много запросов",
	"error.slow_down":         "Подождите минуту и попробуйте снова.",
	"error.home":              "На главную",
}

// ruPlurals: One for 1, 21, 101…; Few for 2–4, 22–24…; Many for 0, 5–20,
// 25–30, 111…
var ruPlurals = map[string]forms{
	"fund.donations": {One: "%s пожертвование", Few: "%s пожертвования", Many: "%s пожертвований"},
}
