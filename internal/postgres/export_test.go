package postgres

// PeriodReportSQL are the period report's queries, each taking a fund (or
// null), from and to, so tests can read their plans.
var PeriodReportSQL = []string{periodAccountsSQL, periodLinesSQL}
