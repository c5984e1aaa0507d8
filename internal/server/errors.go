package server

import (
	"errors"
	"net/http"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
)

// statuses maps domain error codes to HTTP statuses, in one place.
var statuses = map[string]int{
	ledger.EINVALID:      http.StatusBadRequest,
	ledger.ENOTFOUND:     http.StatusNotFound,
	ledger.ECONFLICT:     http.StatusConflict,
	ledger.EUNAUTHORIZED: http.StatusUnauthorized,
	ledger.EFORBIDDEN:    http.StatusForbidden,
	ledger.EUNAVAILABLE:  http.StatusServiceUnavailable,
	ledger.EINTERNAL:     http.StatusInternalServerError,
	"method_not_allowed": http.StatusMethodNotAllowed,
	"too_large":          http.StatusRequestEntityTooLarge,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError renders err as {"error":{"code":...,"message":...}}. Internal
// errors are logged with their detail and shown only as "internal error".
func writeError(c *gin.Context, err error) {
	code := ledger.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		_ = c.Error(err) // logged by logRequests with the request's context
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, ledger.ErrorMessage(err)
	var domain *ledger.Error
	if code == ledger.EINTERNAL && !errors.As(err, &domain) {
		body.Error.Message = "internal error"
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="fundledger"`)
	}
	c.AbortWithStatusJSON(status, body)
}
