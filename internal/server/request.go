package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fundledger/fundledger/ledger"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// writeRequest is what every write call carries besides its body: the
// client's Idempotency-Key (or a fresh one) and a fingerprint of the request,
// so a retry can be told from a different request reusing the key.
type writeRequest struct {
	Key         string
	Fingerprint string
}

// bindWrite reads the JSON body into dst, rejecting unknown fields, and
// derives the idempotency key and fingerprint.
func bindWrite(c *gin.Context, dst any) (writeRequest, error) {
	var w writeRequest
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return w, &ledger.Error{Code: "too_large", Message: fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit)}
		}
		return w, ledger.Errorf(ledger.EINVALID, "body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return w, jsonError(err)
	}
	if dec.More() {
		return w, ledger.Errorf(ledger.EINVALID, "body must hold a single JSON object")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return w, ledger.Errorf(ledger.EINVALID, "body is not valid JSON")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", c.Request.Method, c.Request.URL.Path)
	h.Write(compact.Bytes())
	w.Fingerprint = hex.EncodeToString(h.Sum(nil))
	w.Key = c.GetHeader("Idempotency-Key")
	if w.Key == "" {
		w.Key = "auto:" + uuid.NewString()
	} else if err := ledger.ValidateIdempotencyKey(w.Key); err != nil {
		return w, ledger.Errorf(ledger.EINVALID, "Idempotency-Key header: %s", ledger.ErrorMessage(err))
	}
	return w, nil
}

// jsonError explains a JSON decoding error in terms of the request's fields.
func jsonError(err error) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		want := typeErr.Type.String()
		switch want {
		case "string":
			want = "a string"
		case "bool":
			want = "true or false"
		case "map[string]string":
			want = "an object of strings"
		default:
			if strings.HasPrefix(want, "[]") {
				want = "an array"
			} else if strings.HasPrefix(want, "server.") || strings.HasPrefix(want, "struct") {
				want = "an object"
			}
		}
		return ledger.Errorf(ledger.EINVALID, "%s must be %s, not a JSON %s (amounts are strings such as \"1500.00\")", field, want, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return ledger.Errorf(ledger.EINVALID, "body is not valid JSON: %v at byte %d", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ledger.Errorf(ledger.EINVALID, "body is not valid JSON: it ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return ledger.Errorf(ledger.EINVALID, "body has %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return ledger.Errorf(ledger.EINVALID, "body is not valid JSON: %v", err)
}

// parseOptionalDate parses a query or body date, returning nil when absent.
func parseOptionalDate(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := ledger.ParseDate(field, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// amountString formats an amount with exactly its currency's decimals.
func amountString(d decimal.Decimal, c ledger.Currency) string {
	return d.StringFixed(c.Exponent)
}
