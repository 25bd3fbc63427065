package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/doord/doord/store"
)

// GET /api/v1/export?format=csv|ndjson (any role; csv by default) streams
// every user with their cards and PINs in the import's formats
// (importfile.go), so that an export imported again with mode=replace
// changes nothing. What a role may not read is left out rather than
// masked, because an absent column or key is one an import leaves as it
// is: viewers get neither cards nor PINs, operators get cards, only
// admins get PINs (as only they may take a backup). Other credential
// types and credentials' own attributes (validity, locks, passes) are
// not in an export, and an import leaves them as they are.
//
// Users are read a page at a time (store.ExportUsers), none of it inside
// a read transaction while the client reads. The write deadline is
// pushed as the connection reads, as for a backup (backup.go). An error
// after the first byte closes the connection without the chunked body's
// last chunk, so that the client sees a failed download rather than a
// shorter file that looks whole.
func (s *Server) exportUsers(r *request) error {
	format := string(r.ctx.QueryArgs().Peek("format"))
	switch format {
	case "":
		format = "csv"
	case "csv", "ndjson":
	default:
		return errField("format", "must be csv or ndjson")
	}
	cards := r.op.role == store.RoleAdmin || r.op.role == store.RoleOperator
	pins := r.op.role == store.RoleAdmin
	ctx := r.ctx
	ctx.SetStatusCode(200)
	name := "doord-users-" + s.now().UTC().Format("20060102T150405Z") + "." + format
	ctx.Response.Header.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if format == "csv" {
		ctx.SetContentType("text/csv; charset=utf-8")
	} else {
		ctx.SetContentType("application/x-ndjson")
	}
	if ctx.IsHead() {
		return nil
	}
	// The export is written into a pipe by a goroutine of its own and
	// read by the connection's goroutine (exportBody), which pushes the
	// write deadline before each read: a net.Conn's deadlines are set
	// from the goroutine that writes to it (fasthttputil's in-memory
	// conn is not safe otherwise).
	pr, pw := io.Pipe()
	who := r.op.username
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		n, err := exportTo(bw, format, cards, pins, s.st)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			s.log.Warn("export ended early", "users", n, "err", err)
		}
		if err == nil {
			s.audit(store.EventOperatorChange, who, "users exported ("+format+")")
		}
		// An error reaches the reader, and fasthttp then closes the
		// connection without the chunked body's last chunk.
		pw.CloseWithError(err)
	}()
	ctx.SetBodyStream(&exportBody{r: pr, conn: ctx.Conn(), wt: s.cfg.WriteTimeout}, -1)
	return nil
}

// exportBody is the export's pipe as a response body (see backupBody).
type exportBody struct {
	r    *io.PipeReader
	conn net.Conn
	wt   time.Duration
}

func (b *exportBody) Read(p []byte) (int, error) {
	if b.conn != nil && b.wt > 0 {
		b.conn.SetWriteDeadline(time.Now().Add(b.wt))
	}
	return b.r.Read(p)
}

// Close ends the writer too (a client that went away).
func (b *exportBody) Close() error { return b.r.Close() }

// exportTo writes every user to w; it returns how many it wrote.
func exportTo(w *bufio.Writer, format string, cards, pins bool, st *store.Store) (int, error) {
	cols := exportColumns(cards, pins)
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return 0, err
		}
	}
	n := 0
	rec := make([]string, len(cols))
	err := st.ExportUsers(func(u *store.User, creds []store.Credential) error {
		n++
		cs, ps := exportCreds(creds)
		if cw == nil {
			return writeNDJSONUser(w, u, cs, ps, cards, pins)
		}
		for i, c := range cols {
			rec[i] = csvCell(u, c, cs, ps)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n%1000 == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	if cw != nil {
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	}
	return n, err
}

// exportColumns are the CSV columns a role gets.
func exportColumns(cards, pins bool) []string {
	var cols []string
	for _, c := range csvColumns {
		if c == "cards" && !cards || c == "pins" && !pins {
			continue
		}
		cols = append(cols, c)
	}
	return cols
}

// exportCreds are a user's cards as an import reads them ("format:value"
// or "value") and PINs, in id order.
func exportCreds(creds []store.Credential) (cards, pins []string) {
	for _, c := range creds {
		switch c.Type {
		case store.CredCard:
			v := c.Value
			if c.Format != "" {
				v = c.Format + ":" + v
			}
			cards = append(cards, v)
		case store.CredPIN:
			pins = append(pins, c.Value)
		}
	}
	return cards, pins
}

func csvCell(u *store.User, col string, cards, pins []string) string {
	switch col {
	case "ext_id":
		return u.ExtID
	case "name":
		return u.Name
	case "first_name":
		return u.FirstName
	case "last_name":
		return u.LastName
	case "email":
		return u.Email
	case "phone":
		return u.Phone
	case "state":
		return string(u.State)
	case "locks":
		return string(u.Locks)
	case "valid_from":
		return exportTime(u.ValidFrom)
	case "valid_to":
		return exportTime(u.ValidTo)
	case "tags":
		return strings.Join(u.Tags, ";")
	case "cards":
		return strings.Join(cards, ";")
	case "pins":
		return strings.Join(pins, ";")
	}
	return ""
}

func exportTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// exportUser is a user as an NDJSON export line: the native user object
// and, as the role allows, its cards and PINs.
type exportUser struct {
	*store.User
	Cards *[]string `json:"cards,omitempty"`
	PINs  *[]string `json:"pins,omitempty"`
}

func writeNDJSONUser(w *bufio.Writer, u *store.User, cards, pins []string, withCards, withPINs bool) error {
	e := exportUser{User: u}
	if withCards {
		cards = append([]string{}, cards...) // [] rather than null: none
		e.Cards = &cards
	}
	if withPINs {
		pins = append([]string{}, pins...)
		e.PINs = &pins
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}
