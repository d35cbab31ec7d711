package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// Maelstrom's error codes (the official package's constants, re-exported so
// workloads need one import).
const (
	CodeTimeout                = maelstrom.Timeout
	CodeNodeNotFound           = 1
	CodeNotSupported           = maelstrom.NotSupported
	CodeTemporarilyUnavailable = maelstrom.TemporarilyUnavailable
	CodeMalformedRequest       = maelstrom.MalformedRequest
	CodeCrash                  = maelstrom.Crash
	CodeAbort                  = maelstrom.Abort
	CodeKeyDoesNotExist        = maelstrom.KeyDoesNotExist
	CodeKeyAlreadyExists       = maelstrom.KeyAlreadyExists
	CodePreconditionFailed     = maelstrom.PreconditionFailed
	CodeTxnConflict            = maelstrom.TxnConflict
)

// Error is a Maelstrom error: the body of an error reply, and the Go error
// RPC returns for one. Two *Error values match under errors.Is when their
// codes are equal, so callers test with the sentinels below:
//
//	if errors.Is(err, node.ErrKeyDoesNotExist) { ... }
type Error struct {
	Code int
	Text string
}

// Sentinels for errors.Is, one per code.
var (
	ErrTimeout                = &Error{Code: CodeTimeout, Text: "timeout"}
	ErrNodeNotFound           = &Error{Code: CodeNodeNotFound, Text: "node not found"}
	ErrNotSupported           = &Error{Code: CodeNotSupported, Text: "not supported"}
	ErrTemporarilyUnavailable = &Error{Code: CodeTemporarilyUnavailable, Text: "temporarily unavailable"}
	ErrMalformedRequest       = &Error{Code: CodeMalformedRequest, Text: "malformed request"}
	ErrCrash                  = &Error{Code: CodeCrash, Text: "crash"}
	ErrAbort                  = &Error{Code: CodeAbort, Text: "abort"}
	ErrKeyDoesNotExist        = &Error{Code: CodeKeyDoesNotExist, Text: "key does not exist"}
	ErrKeyAlreadyExists       = &Error{Code: CodeKeyAlreadyExists, Text: "key already exists"}
	ErrPreconditionFailed     = &Error{Code: CodePreconditionFailed, Text: "precondition failed"}
	ErrTxnConflict            = &Error{Code: CodeTxnConflict, Text: "txn conflict"}
)

// NewError returns an *Error with a formatted text.
func NewError(code int, format string, args ...any) *Error {
	return &Error{Code: code, Text: fmt.Sprintf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("maelstrom error %d (%s): %s", e.Code, maelstrom.ErrorCodeText(e.Code), e.Text)
}

// Is makes errors.Is match any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Definite reports whether the code promises the operation did not happen.
// Only Maelstrom's definite codes are (1, 10, 11, 12, 14, 20, 21, 22, 30);
// 0 (timeout), 13 (crash), private codes (1000 and up) and any code Maelstrom
// does not know are indefinite.
func (e *Error) Definite() bool {
	switch e.Code {
	case CodeNodeNotFound, CodeNotSupported, CodeTemporarilyUnavailable, CodeMalformedRequest,
		CodeAbort, CodeKeyDoesNotExist, CodeKeyAlreadyExists, CodePreconditionFailed, CodeTxnConflict:
		return true
	}
	return false
}

// body is the error reply's body. The code is always present, 0 included.
func (e *Error) body() []byte {
	b, _ := json.Marshal(struct {
		Type string `json:"type"`
		Code int    `json:"code"`
		Text string `json:"text"`
	}{"error", e.Code, e.Text}) // ints and strings always encode
	return b
}

// ErrorFor turns any handler error into the error a reply carries: an *Error
// or the official *maelstrom.RPCError keeps its code; a context deadline
// becomes timeout (0); anything else is crash (13). Both of the latter are
// indefinite, as an unknown outcome must be.
func ErrorFor(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e == nil {
			return &Error{Code: CodeCrash, Text: "handler returned a nil *node.Error"}
		}
		if e.Text == "" || err == error(e) {
			return e
		}
		return &Error{Code: e.Code, Text: err.Error()}
	}
	var r *maelstrom.RPCError
	if errors.As(err, &r) {
		return &Error{Code: r.Code, Text: r.Text}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeTimeout, Text: err.Error()}
	}
	return &Error{Code: CodeCrash, Text: err.Error()}
}
