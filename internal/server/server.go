// Package server is the HTTP adapter: routes, middleware, handlers and the
// JSON the API speaks. Handlers are thin: they parse a request, call a ledger
// service and render its answer.
package server

import (
	"context"
	"log/slog"
	"net/http"

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
	// Ping checks the database for /readyz.
	Ping   func(context.Context) error
	Logger *slog.Logger
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
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

	api := r.Group("/api/v1", limitBody(1<<20))
	api.GET("/openapi.yaml", handleOpenAPI)
	api.GET("/funds", s.handleFundList)
	api.GET("/funds/:slug", s.handleFundGet)

	read := api.Group("", s.authenticate(ledger.RoleObserver))
	read.GET("/accounts", s.handleAccountList)
	read.GET("/transactions/:id", s.handleTransactionGet)
	read.GET("/donations/:id", s.handleDonationGet)
	read.GET("/balances", s.handleBalances)
	read.GET("/trial-balance", s.handleTrialBalance)

	write := api.Group("", s.authenticate(ledger.RoleTreasurer))
	write.POST("/funds", s.handleFundCreate)
	write.POST("/accounts", s.handleAccountCreate)
	write.POST("/transactions", s.handleTransactionCreate)
	write.POST("/transactions/:id/reverse", s.handleTransactionReverse)
	write.POST("/donations", s.handleDonationCreate)
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
