package i18n

// The committee's moderation page (/committee/moderation), in the three
// languages. Its keys are added to the catalogs when the package starts; a
// key already there is a programming error, and panics.

func init() {
	addModerationKeys("en", enMessages, map[string]string{
		"wsmod.title":                "Moderation",
		"wsmod.lead":                 "Acknowledgements waiting for a committee member, as the public list will show them once approved. Until then the donation is listed as “Anonymous”, without its message; a hidden one stays “Anonymous” and its message never reaches a public page. Anonymous donations without a message are published at once and never wait here. The donation is in the books whatever you decide.",
		"wsmod.more":                 "Showing the oldest %d; the rest appear as you decide on these.",
		"wsmod.none":                 "Nothing waits for moderation.",
		"wsmod.shown_as":             "Shown as",
		"wsmod.decision":             "Decision",
		"wsmod.select":               "Select: %s",
		"wsmod.approve":              "Approve",
		"wsmod.hide":                 "Hide",
		"wsmod.selected":             "Ticked:",
		"wsmod.approve_selected":     "Approve selected",
		"wsmod.hide_selected":        "Hide selected",
		"wsmod.read_only":            "Members and treasurers decide; an observer sees the queue and changes nothing.",
		"wsmod.display.name":         "by name",
		"wsmod.display.organisation": "by organisation",
		"wsmod.display.alias":        "by an alias",
		"wsmod.display.anonymous":    "anonymously",
		"wsmod.select_one":           "Tick at least one acknowledgement.",
		"wsmod.too_many":             "At most %d acknowledgements can be decided at once.",
		"wsmod.approved":             "Approved: %s.",
		"wsmod.hidden":               "Hidden: %s.",
		"wsmod.skipped":              "Not decided: %s, changed or decided by someone else since this page was shown. Look at the list below again.",
	})
	addModerationKeys("en", enPlurals, map[string]forms{
		"wsmod.count": {One: "%s acknowledgement", Other: "%s acknowledgements"},
	})

	addModerationKeys("ru", ruMessages, map[string]string{
		"wsmod.title":                "Модерация",
		"wsmod.lead":                 "Благодарности, которые ждут решения члена комитета, — в том виде, в каком их покажет открытый список после одобрения. До решения пожертвование значится в списке как «Аноним», без слов поддержки; скрытое так и остаётся «Анонимом», а его слова никогда не появляются на открытых страницах. Анонимные пожертвования без слов поддержки публикуются сразу и сюда не попадают. Пожертвование остаётся в книгах, что бы вы ни решили.",
		"wsmod.more":                 "Показаны самые ранние: %d. Остальные появятся, когда вы решите по этим.",
		"wsmod.none":                 "Ничего не ждёт модерации.",
		"wsmod.shown_as":             "Как будет показано",
		"wsmod.decision":             "Решение",
		"wsmod.select":               "Отметить: %s",
		"wsmod.approve":              "Одобрить",
		"wsmod.hide":                 "Скрыть",
		"wsmod.selected":             "Отмеченные:",
		"wsmod.approve_selected":     "Одобрить отмеченные",
		"wsmod.hide_selected":        "Скрыть отмеченные",
		"wsmod.read_only":            "Решают члены комитета и казначей; наблюдатель видит очередь, но ничего не меняет.",
		"wsmod.display.name":         "по имени",
		"wsmod.display.organisation": "по названию организации",
		"wsmod.display.alias":        "под псевдонимом",
		"wsmod.display.anonymous":    "анонимно",
		"wsmod.select_one":           "Отметьте хотя бы одну благодарность.",
		"wsmod.too_many":             "За один раз можно решить не больше чем по %d благодарностям.",
		"wsmod.approved":             "Одобрено: %s.",
		"wsmod.hidden":               "Скрыто: %s.",
		"wsmod.skipped":              "Не решено: %s — после того как страница была открыта, их изменили или по ним уже решил кто-то другой. Посмотрите список ниже ещё раз.",
	})
	addModerationKeys("ru", ruPlurals, map[string]forms{
		"wsmod.count": {One: "%s благодарность", Few: "%s благодарности", Many: "%s благодарностей"},
	})

	addModerationKeys("kk", kkMessages, map[string]string{
		"wsmod.title":                "Алғыстарды тексеру",
		"wsmod.lead":                 "Комитет мүшесінің шешімін күтіп тұрған алғыстар — мақұлданғаннан кейін ашық тізімде қалай көрінсе, дәл солай. Шешім қабылданғанша жарна тізімде «Аноним» деп, қолдау сөзінсіз көрсетіледі; жасырылғаны «Аноним» болып қала береді, ал оның сөзі ашық беттерге ешқашан шықпайды. Қолдау сөзі жоқ аноним жарналар бірден жарияланады, мұнда күтпейді. Қандай шешім қабылдасаңыз да, жарна кітаптарда қалады.",
		"wsmod.more":                 "Ең ертедегілері көрсетілген: %d. Бұларды шешкен сайын қалғандары шығады.",
		"wsmod.none":                 "Тексеруді күтіп тұрған ештеңе жоқ.",
		"wsmod.shown_as":             "Қалай көрсетіледі",
		"wsmod.decision":             "Шешім",
		"wsmod.select":               "Белгілеу: %s",
		"wsmod.approve":              "Мақұлдау",
		"wsmod.hide":                 "Жасыру",
		"wsmod.selected":             "Белгіленгендер:",
		"wsmod.approve_selected":     "Белгіленгендерді мақұлдау",
		"wsmod.hide_selected":        "Белгіленгендерді жасыру",
		"wsmod.read_only":            "Шешімді комитет мүшелері мен қазынашы қабылдайды; бақылаушы кезекті көреді, бірақ ештеңені өзгертпейді.",
		"wsmod.display.name":         "атымен",
		"wsmod.display.organisation": "ұйымының атымен",
		"wsmod.display.alias":        "бүркеншік атпен",
		"wsmod.display.anonymous":    "атаусыз",
		"wsmod.select_one":           "Кемінде бір алғысты белгілеңіз.",
		"wsmod.too_many":             "Бір жолда ең көбі %d алғыс туралы шешім қабылдауға болады.",
		"wsmod.approved":             "Мақұлданды: %s.",
		"wsmod.hidden":               "Жасырылды: %s.",
		"wsmod.skipped":              "Шешілмеді: %s — бет ашылғаннан бері олар өзгерді немесе оларды басқа біреу шешіп қойды. Төмендегі тізімді қайта қараңыз.",
	})
	addModerationKeys("kk", kkPlurals, map[string]forms{
		"wsmod.count": {Other: "%s алғыс"},
	})
}

// addModerationKeys adds src to the catalog dst of language lang, and panics
// on a key dst already has: two areas must never share a key.
func addModerationKeys[V any](lang string, dst, src map[string]V) {
	for k, v := range src {
		if _, dup := dst[k]; dup {
			panic("i18n: " + lang + ": key " + k + " is defined twice")
		}
		dst[k] = v
	}
}
