package demo

import (
	"fmt"

	"github.com/fundledger/fundledger/ledger"
)

// Fund slugs.
const (
	zh = "zhanaozen"
	kg = "karaganda"
	ld = "legal-defence"
)

func demoFunds() []fundSpec {
	return []fundSpec{
		{
			slug: zh,
			name: "Zhanaozen oil workers' families",
			description: "Since May 2011 thousands of oil workers in Zhanaozen and Aktau, in the Mangistau region of west Kazakhstan, " +
				"have been on strike against KazMunaiGas and its subsidiaries such as Karazhanbasmunai, for the regional and " +
				"dangerous-work pay that was agreed and never paid, and for the right to choose their own union. " +
				"Hundreds of strikers have been sacked and their families have had no wages for months. " +
				"This fund gives hardship grants to the strikers' families, and especially their children: food, heating, " +
				"rent and school costs. Grants are decided by the support committee in Kazakhstan and paid in tenge. " +
				"The money is restricted: it is spent on the families and on nothing else.",
			currency: "EUR", target: "50000.00", restricted: true,
		},
		{
			slug: kg,
			name: "Karaganda miners' families (Miner's Family)",
			description: "Support for the families of coal miners in the Karaganda region (Shakhtinsk, Temirtau, Karaganda), " +
				"given together with the miners' wives and mothers of the \"Miner's Family\" organisation of Shakhtinsk. " +
				"Families of miners who stand up for a union of their own choosing lose income and face the police; " +
				"grants help with food, coal for heating and children's needs. Restricted to that purpose.",
			// Tenge, not euros: everything this fund spends is paid out in
			// Karaganda in tenge, and a good part of what it receives comes
			// from Kazakhstan in tenge, so its target, its grants and its
			// balance read in the money the families actually get. Gifts in
			// other currencies are kept as they came and converted only
			// when needed. Creating it also opens assets:bank:kzt, which the
			// Zhanaozen fund's conversion to tenge needs.
			currency: "KZT", target: "6000000.00", restricted: true,
		},
		{
			slug: ld,
			name: "Legal defence of arrested union activists",
			description: "Lawyers' fees, court costs and prison visits for trade unionists and their lawyers arrested or charged " +
				"for their part in the strikes in Kazakhstan. The oil workers' union lawyer Natalia Sokolova was sentenced to " +
				"six years in prison for \"stirring up social conflict\" after a trial at which no defence witnesses were allowed; " +
				"other strike negotiators and activists face criminal charges. Restricted to legal defence.",
			// Pounds: the legal defence appeal is run from London and most of
			// its money comes from British union branches and supporters by
			// transfer and cheque, so it reports in GBP.
			currency: "GBP", target: "20000.00", restricted: true,
		},
	}
}

// Donation builders. Individuals are anonymous unless a helper says
// otherwise; organisations are named, with their consent, unless anonymous()
// is used.

func transfer(fund, on, amount, cur, country string) gift {
	return gift{fund: fund, on: on, amount: amount, currency: cur, channel: ledger.ChannelBankTransfer,
		donor: ledger.Donor{Country: country}, ack: ledger.Acknowledgement{Display: ledger.AckAnonymous}}
}

func fromOrg(fund, on, amount, cur, country, org string) gift {
	return gift{fund: fund, on: on, amount: amount, currency: cur, channel: ledger.ChannelOrganisation,
		donor: ledger.Donor{Organisation: org, Country: country}, ack: ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: true}}
}

// collection is cash from a street collection or a picket; collector names
// who collected it ("" for an unnamed collection).
func collection(fund, on, amount, cur, country, collector string) gift {
	g := gift{fund: fund, on: on, amount: amount, currency: cur, channel: ledger.ChannelCash,
		donor: ledger.Donor{Organisation: collector, Country: country}, ack: ledger.Acknowledgement{Display: ledger.AckAnonymous}}
	if collector != "" {
		g.ack = ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: true}
	}
	return g
}

func cheque(fund, on, amount, cur, country string) gift {
	g := transfer(fund, on, amount, cur, country)
	g.channel = ledger.ChannelCheque
	return g
}

// named: the donor agreed to be thanked by name.
func (g gift) named(name string, showAmount bool) gift {
	g.donor.Name = name
	g.ack = ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: showAmount}
	return g
}

// alias: the donor chose a name to be thanked by.
func (g gift) alias(alias string, showAmount bool) gift {
	g.ack = ledger.Acknowledgement{Display: ledger.AckAlias, Alias: alias, ShowAmount: showAmount}
	return g
}

// anonymous: given by an organisation that asked not to be named.
func (g gift) anonymous() gift {
	g.ack = ledger.Acknowledgement{Display: ledger.AckAnonymous}
	return g
}

// org: given by an organisation, thanked by name, for example a branch
// paying by cheque.
func (g gift) org(org string) gift {
	g.donor.Organisation = org
	g.ack = ledger.Acknowledgement{Display: ledger.AckName, ShowAmount: true}
	return g
}

func (g gift) email(e string) gift { g.donor.Email = e; return g }

func (g gift) says(msg string) gift { g.message = msg; return g }

// demoDonations returns the demo's donations with their idempotency keys,
// "demo-don-<fund>-<nn>", numbered per fund in the order listed.
func demoDonations() []gift {
	gifts := []gift{
		// Zhanaozen oil workers' families (EUR).
		transfer(zh, "2011-12-05", "50.00", "EUR", "DE"),
		fromOrg(zh, "2011-12-06", "1500.00", "EUR", "SE", "Norrbotten mineworkers' branch").
			says("From the miners of Norrbotten to the oil workers of Zhanaozen: your fight is ours."),
		collection(zh, "2011-12-08", "212.40", "EUR", "DE", "Hamburg solidarity stall").
			says("Collected from passers-by at our Saturday stall in Hamburg."),
		transfer(zh, "2011-12-09", "20.00", "EUR", "FR"),
		transfer(zh, "2011-12-12", "100.00", "EUR", "BE").named("Marc Peeters", false),
		fromOrg(zh, "2011-12-14", "400.00", "EUR", "IE", "Dublin bus workers' solidarity committee"),
		transfer(zh, "2011-12-17", "75.00", "EUR", "DE").says("For the families in Zhanaozen."),
		transfer(zh, "2011-12-18", "30.00", "EUR", "AT").alias("Ein Metaller aus Linz", true),
		fromOrg(zh, "2011-12-19", "1000.00", "EUR", "DE", "Hamburg port shop stewards' committee").
			says("Reinstate every sacked oil worker!"),
		transfer(zh, "2011-12-19", "250.00", "EUR", "NL"),
		collection(zh, "2011-12-20", "8430.50", "RUB", "RU", "Moscow solidarity picket").
			says("Collected at the picket outside the Kazakhstan embassy in Moscow."),
		transfer(zh, "2011-12-20", "15.00", "EUR", "DE"),
		transfer(zh, "2011-12-21", "500.00", "EUR", "FR").named("Claire Martin", false).email("claire.martin@example.org").
			says("Solidarité avec les travailleurs du pétrole de Zhanaozen et leurs familles."),
		fromOrg(zh, "2011-12-21", "2000.00", "SEK", "SE", "Stockholm metalworkers' club"),
		collection(zh, "2011-12-22", "146.70", "EUR", "BE", "Brussels solidarity picket"),
		transfer(zh, "2011-12-22", "40.00", "GBP", "GB"),
		transfer(zh, "2011-12-23", "10.00", "EUR", "DE"),
		cheque(zh, "2011-12-27", "150.00", "EUR", "FR"),
		transfer(zh, "2011-12-28", "200.00", "CHF", "CH").alias("Eine Gewerkschafterin aus Zürich", true).
			says("Für die Kinder der Streikenden."),
		transfer(zh, "2011-12-28", "60.00", "EUR", "DE"),
		transfer(zh, "2011-12-29", "25000.00", "KZT", "KZ"),
		collection(zh, "2011-12-30", "187.65", "EUR", "DE", "Hamburg solidarity stall"),
		fromOrg(zh, "2012-01-03", "750.00", "EUR", "BE", "Antwerp dockers' solidarity group"),
		transfer(zh, "2012-01-04", "35.00", "EUR", "IE"),
		transfer(zh, "2012-01-05", "100.00", "EUR", "DE").named("Jürgen Albers", true),
		collection(zh, "2012-01-06", "43500.00", "KZT", "KZ", "").
			says("Collected among workers in Almaty."),
		transfer(zh, "2012-01-09", "45.50", "EUR", "FR"),
		fromOrg(zh, "2012-01-10", "500.00", "GBP", "GB", "East London bus workers' branch").
			says("An injury to one is an injury to all."),
		transfer(zh, "2012-01-11", "1000.00", "SEK", "SE"),
		transfer(zh, "2012-01-12", "5000.00", "RUB", "RU").alias("Шахтёр из Воркуты", true),
		transfer(zh, "2012-01-13", "80.00", "EUR", "DE"),
		cheque(zh, "2012-01-16", "50.00", "GBP", "GB").named("Margaret Hughes", false),
		transfer(zh, "2012-01-17", "20.00", "EUR", "PL"),
		fromOrg(zh, "2012-01-18", "1200.00", "EUR", "DE", "Ludwigshafen chemical workers' shop stewards"),
		transfer(zh, "2012-01-19", "150.00", "EUR", "AT"),
		collection(zh, "2012-01-20", "95.20", "EUR", "AT", "Vienna rally collection"),
		transfer(zh, "2012-01-23", "300.00", "EUR", "NL").named("Pieter de Vries", true).
			says("Strength to the strikers and their families."),
		transfer(zh, "2012-01-24", "12.50", "EUR", "DE"),
		fromOrg(zh, "2012-01-25", "3500.00", "SEK", "SE", "Gothenburg dockworkers' club"),
		transfer(zh, "2012-01-27", "1500.00", "RUB", "RU"),
		transfer(zh, "2012-01-30", "50.00", "EUR", "FR"),
		fromOrg(zh, "2012-02-01", "2500.00", "EUR", "DE", "Ruhr retired miners' circle").
			says("We remember what it is to strike. Solidarity with Zhanaozen."),
		transfer(zh, "2012-02-03", "65.00", "EUR", "BE"),
		collection(zh, "2012-02-07", "254.30", "SEK", "SE", "Stockholm street collection"),
		transfer(zh, "2012-02-08", "30000.00", "KZT", "KZ"),
		transfer(zh, "2012-02-10", "100.00", "EUR", "DE").alias("Ein Kollege aus Bremen", false),
		transfer(zh, "2012-02-14", "250.00", "GBP", "GB"),
		fromOrg(zh, "2012-02-15", "600.00", "EUR", "FR", "Lyon railway workers' solidarity group"),
		transfer(zh, "2012-02-20", "40.00", "EUR", "DE"),
		transfer(zh, "2012-02-24", "500.00", "EUR", "IE").says("For the children of the strikers."),

		// Karaganda miners' families (KZT).
		transfer(kg, "2011-12-15", "10000.00", "KZT", "KZ"),
		collection(kg, "2011-12-16", "27350.00", "KZT", "KZ", "").
			says("Collected among miners' families in Shakhtinsk."),
		fromOrg(kg, "2011-12-19", "50000.00", "RUB", "RU", "Kuzbass independent miners' branch").
			says("From the miners of Kuzbass to the miners of Karaganda."),
		transfer(kg, "2011-12-20", "5000.00", "KZT", "KZ"),
		fromOrg(kg, "2011-12-22", "800.00", "EUR", "DE", "Bochum retired miners' circle"),
		transfer(kg, "2011-12-23", "15000.00", "KZT", "KZ").alias("Учительница из Караганды", true),
		transfer(kg, "2011-12-27", "3000.00", "RUB", "RU"),
		collection(kg, "2011-12-28", "12800.00", "KZT", "KZ", "").says("Collected in Karaganda."),
		fromOrg(kg, "2012-01-05", "150000.00", "KZT", "KZ", "Temirtau steelworkers' initiative group").anonymous(),
		transfer(kg, "2012-01-10", "20000.00", "KZT", "KZ"),
		transfer(kg, "2012-01-12", "2000.00", "SEK", "SE").named("Anna Lindqvist", true).email("anna.lindqvist@example.org"),
		fromOrg(kg, "2012-01-16", "500.00", "GBP", "GB", "North East former miners' association").
			says("Coal for the winter, from old miners who know the cold."),
		transfer(kg, "2012-01-19", "50.00", "EUR", "DE"),
		collection(kg, "2012-01-24", "4150.50", "RUB", "RU", "").says("Collected at a miners' meeting in Vorkuta."),
		transfer(kg, "2012-01-26", "7500.00", "KZT", "KZ"),
		transfer(kg, "2012-02-02", "100000.00", "KZT", "KZ").alias("Друзья шахтёров", false),
		cheque(kg, "2012-02-06", "75.00", "GBP", "GB"),
		transfer(kg, "2012-02-09", "10000.00", "RUB", "RU"),
		transfer(kg, "2012-02-13", "25000.00", "KZT", "KZ"),
		fromOrg(kg, "2012-02-17", "1000.00", "EUR", "BE", "Limburg former miners' association"),
		collection(kg, "2012-02-22", "9600.00", "KZT", "KZ", ""),
		transfer(kg, "2012-02-27", "40.00", "EUR", "FR"),

		// Legal defence of arrested union activists (GBP).
		fromOrg(ld, "2011-12-07", "250.00", "GBP", "GB", "Tyneside rail workers' branch"),
		cheque(ld, "2011-12-12", "100.00", "GBP", "GB").named("Patrick O'Neill", false),
		transfer(ld, "2011-12-14", "25.00", "GBP", "GB"),
		fromOrg(ld, "2011-12-19", "500.00", "GBP", "GB", "Leeds teachers' association").
			says("Free Natalia Sokolova and every jailed trade unionist."),
		collection(ld, "2011-12-20", "87.36", "GBP", "GB", "London Kazakhstan solidarity picket").
			says("Collected at the picket outside the Kazakhstan embassy in London."),
		transfer(ld, "2011-12-21", "50.00", "GBP", "GB").alias("A health worker in Bristol", true),
		transfer(ld, "2011-12-22", "200.00", "EUR", "IE"),
		cheque(ld, "2011-12-29", "40.00", "GBP", "GB"),
		fromOrg(ld, "2012-01-04", "1000.00", "GBP", "GB", "Rhondda retired miners' lodge").
			says("Defending the right to organise is defending all of us."),
		transfer(ld, "2012-01-09", "15.00", "GBP", "GB"),
		collection(ld, "2012-01-11", "132.45", "EUR", "IE", "Dublin solidarity stall"),
		transfer(ld, "2012-01-13", "500.00", "SEK", "SE"),
		cheque(ld, "2012-01-18", "250.00", "GBP", "GB").org("Sheffield engineering workers' branch"),
		transfer(ld, "2012-01-20", "100.00", "GBP", "GB").named("Helen Carter", true).email("helen.carter@example.org"),
		transfer(ld, "2012-01-25", "30.00", "GBP", "GB"),
		fromOrg(ld, "2012-01-31", "300.00", "EUR", "BE", "Liège metalworkers' delegation"),
		cheque(ld, "2012-02-02", "60.00", "GBP", "GB"),
		transfer(ld, "2012-02-06", "2000.00", "RUB", "RU"),
		transfer(ld, "2012-02-10", "20.00", "GBP", "GB").alias("Sparky from Salford", true),
		fromOrg(ld, "2012-02-14", "150.00", "GBP", "GB", "Glasgow postal workers' branch"),
		transfer(ld, "2012-02-21", "45.00", "GBP", "GB"),
		transfer(ld, "2012-02-28", "250.00", "EUR", "DE").alias("Eine Anwältin aus Köln", false).
			says("Für die Verteidigung der verhafteten Gewerkschafter."),
	}
	short := map[string]string{zh: "zh", kg: "kg", ld: "ld"}
	n := map[string]int{}
	for i := range gifts {
		f := gifts[i].fund
		n[f]++
		gifts[i].key = fmt.Sprintf("%sdon-%s-%02d", KeyPrefix, short[f], n[f])
	}
	return gifts
}

// Conversion of the Zhanaozen fund's euros to tenge for the grants paid in
// Almaty: 8000.00 EUR at 189.76 KZT per EUR is exactly 1518080.00 KZT.
const (
	convEUR  = "8000.00"
	convRate = "189.76"
	convKZT  = "1518080.00"
)

// grant is a hardship grant paid in tenge from fund's KZT bank account. ref
// is the grant's pseudonymous reference; the committee's grant register, kept
// outside the books, is the only place that links it to a family.
func grant(ref, on, fund, amount, who, purpose string) entry {
	return entry{
		key:  KeyPrefix + "tx-grant-" + ref,
		on:   on,
		desc: "Hardship grant " + ref + " (" + who + ")",
		meta: map[string]string{"grant_ref": ref, "purpose": purpose},
		legs: []leg{
			{ledger.AccountGrants, fund, amount, "KZT"},
			{"assets:bank:kzt", fund, "-" + amount, "KZT"},
		},
	}
}

// demoEntries returns the demo's general journal entries in date order.
func demoEntries() []entry {
	bankEUR, bankKZT, bankGBP := "assets:bank:eur", "assets:bank:kzt", "assets:bank:gbp"
	mistake := grant("G-2012-005", "2012-02-01", zh, "100000.00", "miner's family, Shakhtinsk", "coal for heating and food")
	mistake.key = KeyPrefix + "tx-grant-G-2012-005-wrong-fund"
	return []entry{
		{
			key: KeyPrefix + "tx-bank-cash-hamburg", on: "2012-01-09",
			desc: "Hamburg street collections of 8 and 30 December paid into the EUR account",
			meta: map[string]string{"collections": "2011-12-08 212.40 EUR; 2011-12-30 187.65 EUR"},
			legs: []leg{{bankEUR, zh, "400.05", "EUR"}, {ledger.AccountCash, zh, "-400.05", "EUR"}},
		},
		{
			key: KeyPrefix + "tx-conversion-2012-01", on: "2012-01-16",
			desc: "Transfer to the committee's tenge account in Almaty: " + convEUR + " EUR converted at " + convRate + " KZT/EUR",
			meta: map[string]string{"rate": convRate, "from": convEUR + " EUR", "to": convKZT + " KZT"},
			legs: []leg{
				{bankEUR, zh, "-" + convEUR, "EUR"},
				{ledger.AccountConversion, zh, convEUR, "EUR"},
				{bankKZT, zh, convKZT, "KZT"},
				{ledger.AccountConversion, zh, "-" + convKZT, "KZT"},
			},
		},
		{
			key: KeyPrefix + "tx-bank-fee-2012-01", on: "2012-01-16",
			desc: "Bank charge for the SWIFT transfer to Almaty",
			meta: map[string]string{"bank_reference": "SWIFT OUR charge, January statement"},
			legs: []leg{{ledger.AccountBankFees, zh, "18.50", "EUR"}, {bankEUR, zh, "-18.50", "EUR"}},
		},
		grant("G-2012-001", "2012-01-20", zh, "150000.00", "family of a sacked oil worker, Zhanaozen", "food and heating for January"),
		grant("G-2012-002", "2012-01-20", zh, "150000.00", "family of a sacked oil worker, Zhanaozen", "rent arrears after dismissal"),
		grant("G-2012-003", "2012-01-23", zh, "120000.00", "family of a striker, Aktau", "school clothes and books for three children"),
		{
			key: KeyPrefix + "tx-cheques-cleared-2012-01", on: "2012-01-25",
			desc: "Cheques of 12 and 29 December and 18 January cleared into the GBP account",
			meta: map[string]string{"cheques": "3"},
			legs: []leg{{bankGBP, ld, "390.00", "GBP"}, {ledger.AccountCheques, ld, "-390.00", "GBP"}},
		},
		grant("G-2012-004", "2012-01-27", zh, "200000.00", "family of a sacked oil worker, Zhanaozen", "medical treatment"),
		mistake,
		{
			key: KeyPrefix + "tx-reversal-G-2012-005", on: "2012-02-03", reverses: mistake.key,
			desc: "Reversal of hardship grant G-2012-005: booked to the Zhanaozen fund by mistake, it belongs to the Karaganda fund",
		},
		grant("G-2012-005", "2012-02-03", kg, "100000.00", "miner's family, Shakhtinsk", "coal for heating and food"),
		grant("G-2012-006", "2012-02-06", zh, "150000.00", "family of a striker, Zhanaozen", "food and heating for February"),
		grant("G-2012-007", "2012-02-10", kg, "80000.00", "miner's family, Karaganda", "children's winter clothes"),
		grant("G-2012-008", "2012-02-20", kg, "120000.00", "miner's family, Shakhtinsk", "medicine and food"),
	}
}
