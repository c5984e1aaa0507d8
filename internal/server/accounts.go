package server

import (
	"net/http"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

type accountJSON struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Parent string `json:"parent,omitempty"`
}

func (s *Server) handleAccountList(c *gin.Context) {
	accts, err := s.Accounts.ListAccounts(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	out := make([]accountJSON, len(accts))
	for i, a := range accts {
		out[i] = accountJSON{Code: a.Code, Name: a.Name, Type: string(a.Type), Parent: a.Parent()}
	}
	c.JSON(http.StatusOK, gin.H{"accounts": out})
}

type accountRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (s *Server) handleAccountCreate(c *gin.Context) {
	var req accountRequest
	if _, err := bindWrite(c, &req); err != nil {
		writeError(c, err)
		return
	}
	t, err := ledger.AccountTypeOf(req.Code)
	if err != nil {
		writeError(c, ledger.Errorf(ledger.EINVALID, "code: %s", ledger.ErrorMessage(err)))
		return
	}
	a := ledger.Account{Code: req.Code, Name: req.Name, Type: t}
	if err := s.Accounts.OpenAccount(c.Request.Context(), a); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, accountJSON{Code: a.Code, Name: a.Name, Type: string(a.Type), Parent: a.Parent()})
}
