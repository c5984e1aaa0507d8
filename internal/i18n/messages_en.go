package i18n

// enMessages is the source catalog: every key is defined here first, and the
// Russian and Kazakh catalogs must have exactly the same keys and fmt verbs.
var enMessages = map[string]string{
	"site.title":  "Solidarity fund",
	"site.footer": "A solidarity fund for the families of striking workers in Kazakhstan. Our books are open to all.",

	"home.title": "Support the families of striking workers",
	"home.lead":  "This fund helps the families of striking workers: the oil workers of Zhanaozen and the miners of Karaganda. We thank every donor in public and account for every grant.",

	"nav.home":             "Home",
	"nav.funds":            "Funds",
	"nav.donate":           "Donate",
	"nav.acknowledgements": "Acknowledgements",
	"nav.language":         "Language",

	// The fund page. fund.of_target follows the amount raised; %s is the
	// target, formatted by Money.
	// fund.in_currency labels the total of all currencies in the fund's
	// own; %s is the date of the exchange rates, formatted by Date.
	"fund.raised":                  "Raised",
	"fund.of_target":               "of target %s",
	"fund.in_currency":             "In total, at the exchange rates of %s",
	"fund.count":                   "Donations",
	"fund.paid_out":                "Paid out as hardship grants",
	"fund.latest_acknowledgements": "Latest acknowledgements",
	"fund.donate":                  "Donate to this fund",
	"fund.restricted":              "Restricted fund",
	"fund.restricted_explanation":  "This is a restricted fund: everything given to it is spent on its purpose and on nothing else.",

	// The donation form. The donate.ack.* keys end in the ledger's
	// acknowledgement display names.
	"donate.title":              "Donate to %s", // %s: the fund's name
	"donate.choose_amount":      "Choose an amount",
	"donate.other_amount":       "Other amount",
	"donate.amount":             "Amount",
	"donate.currency":           "Currency",
	"donate.email":              "Email for your receipt",
	"donate.name":               "Your name (optional)",
	"donate.organisation":       "Organisation (optional)",
	"donate.ack.question":       "How may we thank you in public?",
	"donate.ack.name":           "By my name",
	"donate.ack.organisation":   "By my organisation",
	"donate.ack.alias":          "By an alias",
	"donate.ack.anonymous":      "Anonymously",
	"donate.alias":              "Alias",
	"donate.show_amount":        "Show the amount",
	"donate.message":            "Message of support (optional, shown after a committee member approves it)",
	"donate.card":               "Donate by card",
	"donate.card_unavailable":   "Card donations are not available right now. You can still give by bank transfer.",
	"donate.bank.title":         "Or give by bank transfer",
	"donate.bank.holder":        "Account holder",
	"donate.bank.iban":          "IBAN",
	"donate.bank.bic":           "BIC",
	"donate.bank.reference":     "Reference",
	"donate.bank.use_reference": "Please use the reference %s so we can acknowledge your gift.",

	"thanks.title":   "Thank you!",
	"thanks.receipt": "A receipt follows by email once the payment is confirmed.",

	// The public list of acknowledgements.
	"ack.title":         "All donations will be acknowledged",
	"ack.all":           "See all acknowledgements",
	"ack.none":          "No donations to acknowledge yet.",
	"ack.date":          "Date",
	"ack.from":          "From",
	"ack.amount":        "Amount",
	"ack.channel":       "Channel",
	"ack.message":       "Message",
	"ack.anonymous":     "Anonymous",
	"ack.amount_hidden": "Amount not shown",
	"ack.older":         "Older",
	"ack.newer":         "Newer",
	"ack.csv":           "Download as CSV",
	"ack.atom":          "Atom feed",

	// How a donation reached the fund: "channel." + the ledger's channel name.
	"channel.card":              "card",
	"channel.bank_transfer":     "bank transfer",
	"channel.cash":              "cash",
	"channel.cheque":            "cheque",
	"channel.organisation":      "organisation",
	"channel.street_collection": "street collection",

	// The private page where a donor changes how they are acknowledged.
	"ackchange.title":   "Change how you are thanked",
	"ackchange.save":    "Save",
	"ackchange.saved":   "Saved",
	"ackchange.pending": "Your change will appear once a committee member has approved it.",

	// The receipt email, one line per key. %s: the fund's name in the
	// subject, the donor's name in the greeting, an amount formatted by
	// Money, a date formatted by Date, the donation's reference, the public
	// name (or ack.anonymous), the private link.
	"email.receipt.subject":            "Receipt for your donation to %s",
	"email.receipt.greeting":           "Dear %s,",
	"email.receipt.greeting_anonymous": "Hello,",
	"email.receipt.intro":              "Thank you for your donation. Here are its details.",
	"email.receipt.amount":             "Amount: %s",
	"email.receipt.fund":               "Fund: %s",
	"email.receipt.date":               "Date: %s",
	"email.receipt.reference":          "Reference: %s",
	"email.receipt.acknowledged":       "We will thank you in public as: %s",
	"email.receipt.change_link":        "To change how you are acknowledged, use this private link (please keep it to yourself): %s",
	"email.receipt.thanks":             "Thank you for standing with the strikers and their families.",
	"email.receipt.signature":          "The committee of the solidarity fund",

	"error.not_found":         "Page not found",
	"error.not_found_body":    "There is no page here. It may have moved, or the link may be mistyped.",
	"error.internal":          "Something went wrong",
	"error.try_again":         "Please try again in a few minutes.",
	"error.too_many_requests": "Too many requests",
	"error.slow_down":         "Please wait a minute and try again.",
	"error.home":              "Go to the home page",
}

// enPlurals are the counted messages: One for 1, Other for every other count.
var enPlurals = map[string]forms{
	"fund.donations": {One: "%s donation", Other: "%s donations"},
}
