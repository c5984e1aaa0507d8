// Package server is the HTTP adapter: routes, middleware, handlers and the
// JSON the API speaks. Handlers are thin: they parse a request, call a ledger
// service and render its answer.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// Server holds the services the handlers call.
type Server struct {
	Funds        ledger.FundService
	Accounts     ledger.AccountService
	Transactions ledger.TransactionService
	Donations    ledger.DonationService
	Balances     ledger.BalanceService
	Tokens       ledger.TokenService
	Cards        ledger.CardService
	Acks         ledger.AcknowledgementService
	// Reconciliation imports bank statements and ties them to the books.
	Reconciliation ledger.ReconciliationService
	Batches        ledger.BatchService
	Collections    ledger.CollectionService
	Grants         ledger.GrantService // hardship grant cases (grants.go, ws_grants.go)
	Reports        ledger.ReportService
	Rates          interface {
		SetExchangeRate(context.Context, ledger.ExchangeRate) error
	}
	// Stripe and StripeWebhooks are nil when card donations are not
	// configured; the service runs and says so.
	Stripe         ledger.CardGateway
	StripeWebhooks StripeWebhooks
	// PublicURL is where donors reach this server, for Stripe's redirects.
	PublicURL string
	// TrustedProxies are the addresses (or CIDR ranges) of reverse proxies
	// whose X-Forwarded-For names the client; none by default.
	TrustedProxies []string
	// checkoutLimit bounds checkouts per client, so the form cannot be used
	// to flood Stripe.
	checkoutLimit *clientLimiter
	// Members, Sessions and Audit serve the committee's workspace under
	// /committee (committee.go).
	Members  ledger.MemberService
	Sessions ledger.SessionService
	Audit    ledger.AuditService
	// SecureCookies marks the session cookie Secure even when the request
	// reached us over plain HTTP (TLS ends at a proxy): set it when
	// FUNDLEDGER_PUBLIC_URL is https.
	SecureCookies bool
	// signinLimit counts failed sign-ins per client and per email.
	signinLimit *failureLimiter
	// Ping checks the database for /readyz.
	Ping   func(context.Context) error
	Logger *slog.Logger
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// ClientIP, which rate limits count by, is the peer address unless the
	// request comes through one of the configured proxies.
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		s.Logger.Error("trusted proxies", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	if s.checkoutLimit == nil {
		s.checkoutLimit = newClientLimiter(6*time.Second, 10) // a burst of 10, then one every 6 seconds
	}
	if s.signinLimit == nil {
		s.signinLimit = newFailureLimiter(signInMaxFailures, signInWindow)
	}
	r.HandleMethodNotAllowed = true
	r.Use(s.recovery(), s.logRequests(), securityHeaders())
	r.NoRoute(func(c *gin.Context) {
		writeError(c, ledger.Errorf(ledger.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		writeError(c, &ledger.Error{Code: "method_not_allowed", Message: "method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	s.routes(r)
	return r
}

// routes registers every route, so the whole surface reads at a glance.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/livez", s.handleLivez)
	r.GET("/readyz", s.handleReadyz)
	r.POST("/webhooks/stripe", s.handleStripeWebhook)

	r.GET("/static/*file", staticHandler())

	pub := r.Group("", crossOriginProtection())
	pub.GET("/", s.handleHome)
	pub.GET("/funds/:slug", s.handleFundPage)
	pub.GET("/funds/:slug/acknowledgements", s.handleAckPage)
	pub.GET("/funds/:slug/acknowledgements.csv", s.handleAckCSV)
	pub.GET("/funds/:slug/acknowledgements.atom", s.handleAckAtom)
	pub.GET("/acknowledgements", s.handleAckPage)
	pub.GET("/acknowledgements.csv", s.handleAckCSV)
	pub.GET("/acknowledgements.atom", s.handleAckAtom)
	pub.GET("/donate/thanks", s.handleDonateThanks)
	pub.GET("/donate/:slug", s.handleDonatePage)
	pub.POST("/donate/:slug", s.checkoutLimit.limit(), s.handleDonateSubmit)
	pub.GET("/my-donation/:token", s.handleAckChangePage)
	pub.POST("/my-donation/:token", s.checkoutLimit.limit(), s.handleAckChangeSubmit)

	api := r.Group("/api/v1", limitBody(1<<20))
	api.GET("/openapi.yaml", handleOpenAPI)
	api.GET("/funds", s.handleFundList)
	api.GET("/funds/:slug", s.handleFundGet)
	api.POST("/checkout", s.checkoutLimit.limit(), s.handleCheckoutCreate)
	api.GET("/acknowledgements", s.handleAckList)

	read := api.Group("", s.authenticate(ledger.RoleObserver))
	read.GET("/accounts", s.handleAccountList)
	read.GET("/transactions/:id", s.handleTransactionGet)
	read.GET("/donations/:id", s.handleDonationGet)
	read.GET("/balances", s.handleBalances)
	read.GET("/trial-balance", s.handleTrialBalance)
	read.GET("/moderation", s.handleModerationQueue)
	read.GET("/statement-lines", s.handleLineList)
	read.GET("/batches/:id", s.handleBatchGet)
	read.GET("/collections/:id", s.handleCollectionGet)
	read.GET("/reconciliation", s.handleReconciliation)

	write := api.Group("", s.authenticate(ledger.RoleTreasurer), s.auditAPI())
	write.POST("/funds", s.handleFundCreate)
	write.POST("/accounts", s.handleAccountCreate)
	write.POST("/transactions", s.handleTransactionCreate)
	write.POST("/transactions/:id/reverse", s.handleTransactionReverse)
	write.POST("/donations", s.handleDonationCreate)
	write.POST("/moderation", s.handleModerate)
	write.PUT("/exchange-rates", s.handleRateSet)
	write.POST("/batches", s.handleBatchCreate)
	write.POST("/batches/:id/entries", s.handleBatchEntryAdd)
	write.DELETE("/batches/:id/entries/:entry", s.handleBatchEntryRemove)
	write.POST("/batches/:id/close", s.handleBatchClose)
	write.POST("/collections", s.handleCollectionCreate)
	write.POST("/collections/:id/bank", s.handleCollectionBank)
	write.POST("/statement-lines/:id/match", s.handleLineMatch)
	write.POST("/statement-lines/:id/unmatch", s.handleLineUnmatch)
	write.POST("/statement-lines/:id/donation", s.handleLineDonation)
	write.POST("/statement-lines/:id/expense", s.handleLineExpense)
	write.POST("/reconciliation", s.handleMarkReconciled)
	// Statements are larger than other requests: their own body limit.
	r.POST("/api/v1/statements", limitBody(maxStatementBody), s.authenticate(ledger.RoleTreasurer), s.auditAPI(), s.handleStatementImport)

	// The committee's workspace: session cookie, CSRF token and origin check
	// on every POST. Protect a page with s.committee(least role); see committee.go.
	ws := r.Group("/committee", crossOriginProtection(), limitBody(64<<10))
	ws.GET("/signin", s.handleSignInPage)
	ws.POST("/signin", s.handleSignIn)
	ws.GET("/signin/code", s.handleCodePage)
	ws.POST("/signin/code", s.handleCode)
	ws.GET("", s.committee(ledger.RoleObserver), s.handleWorkspaceHome)
	ws.POST("/signout", s.committee(ledger.RoleObserver), s.handleSignOut)
	ws.GET("/sessions", s.committee(ledger.RoleObserver), s.handleSessionsPage)
	ws.POST("/sessions/:id/revoke", s.committee(ledger.RoleObserver), s.handleSessionRevoke)
	ws.GET("/audit", s.committee(ledger.RoleObserver), s.handleAuditPage)
	ws.GET("/totp", s.committee(ledger.RoleObserver), s.handleTOTPPage)
	ws.POST("/totp", s.committee(ledger.RoleObserver), s.handleTOTPPost)
	ws.GET("/password", s.committee(ledger.RoleObserver), s.handlePasswordPage)
	ws.POST("/password", s.committee(ledger.RoleObserver), s.handlePasswordPost)
	ws.GET("/money", s.committee(ledger.RoleObserver), s.handleMoneyPage)
	ws.POST("/money/donations", s.committee(ledger.RoleTreasurer), s.handleMoneyDonation)
	ws.POST("/money/batches", s.committee(ledger.RoleTreasurer), s.handleMoneyBatchOpen)
	ws.POST("/money/collections", s.committee(ledger.RoleTreasurer), s.handleMoneyCollection)
	ws.POST("/money/collections/:id/bank", s.committee(ledger.RoleTreasurer), s.handleCollectionPageBank)
	ws.GET("/batches/:id", s.committee(ledger.RoleObserver), s.handleBatchPage)
	ws.POST("/batches/:id/entries", s.committee(ledger.RoleTreasurer), s.handleBatchPageEntry)
	ws.POST("/batches/:id/entries/:entry/remove", s.committee(ledger.RoleTreasurer), s.handleBatchPageRemove)
	ws.POST("/batches/:id/close", s.committee(ledger.RoleTreasurer), s.handleBatchPageClose)
	ws.GET("/bank", s.committee(ledger.RoleObserver), s.handleBankPage)
	ws.POST("/bank/lines/:id/match", s.committee(ledger.RoleTreasurer), s.handleBankLineMatch)
	ws.POST("/bank/lines/:id/unmatch", s.committee(ledger.RoleTreasurer), s.handleBankLineUnmatch)
	ws.POST("/bank/lines/:id/donation", s.committee(ledger.RoleTreasurer), s.handleBankLineDonation)
	ws.POST("/bank/lines/:id/expense", s.committee(ledger.RoleTreasurer), s.handleBankLineExpense)
	ws.POST("/bank/reconciled", s.committee(ledger.RoleTreasurer), s.handleBankReconciled)
	ws.GET("/moderation", s.committee(ledger.RoleObserver), s.handleModerationPage)
	ws.POST("/moderation", s.committee(ledger.RoleMember), s.handleModerationDecide)
	// A statement file is larger than the workspace's other forms: outside the group's limit.
	r.POST("/committee/bank/import", crossOriginProtection(), limitBody(maxStatementBody), s.committee(ledger.RoleTreasurer), s.handleBankImport)
	s.grantRoutes(api, read, write, ws)
	s.reportRoutes(read, ws)
	ws.GET("/members", s.committee(ledger.RoleTreasurer), s.handleMembersPage)
	ws.POST("/members", s.committee(ledger.RoleTreasurer), s.handleMembersPost)
}

func (s *Server) handleLivez(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) handleReadyz(c *gin.Context) {
	if err := s.Ping(c.Request.Context()); err != nil {
		s.Logger.Warn("readiness check failed", "error", err)
		writeError(c, &ledger.Error{Code: ledger.EUNAVAILABLE, Message: "the database is unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
