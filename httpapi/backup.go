package httpapi

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/doord/doord/store"
)

// GET /api/v1/backup (admins only) sends a consistent snapshot of the
// store: the whole bbolt file as one read transaction saw it, while doors
// keep deciding and writers keep committing. The file holds every secret
// the store keeps (operators' password hashes, sealed TOTP secrets, PINs),
// hence admin only and audited.
//
// The snapshot is first copied to an unlinked file beside the store
// (store.Snapshot) and sent from there: a read transaction held for as
// long as a slow client reads would stall every commit that must grow
// the file. The answer carries a Content-Length, so a copy cut short is
// an error at the client, never a shorter file that looks whole.
func (s *Server) backup(r *request) error {
	f, size, err := s.st.Snapshot()
	if err != nil {
		return err
	}
	ctx, who := r.ctx, r.op.username
	ctx.SetStatusCode(200)
	ctx.SetContentType("application/octet-stream")
	name := "doord-" + s.now().UTC().Format("20060102T150405Z") + ".db"
	ctx.Response.Header.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	ctx.Response.Header.Set("Cache-Control", "no-store")
	if ctx.IsHead() {
		f.Close()
		ctx.Response.Header.Set("Content-Length", strconv.FormatInt(size, 10))
		return nil
	}
	// fasthttp reads the body in the connection's goroutine and closes it
	// when the answer is done or the connection fails.
	ctx.SetBodyStream(&backupBody{f: f, size: size, conn: ctx.Conn(), wt: s.cfg.WriteTimeout,
		done: func(n int64) {
			detail := fmt.Sprintf("backup taken (%d bytes)", n)
			if n != size {
				detail = fmt.Sprintf("backup cut short after %d of %d bytes", n, size)
			}
			s.audit(store.EventOperatorChange, who, detail)
		}}, int(size))
	return nil
}

// backupBody is the snapshot file as a response body. Before each read it
// pushes the connection's write deadline (see the streaming note in
// events.go): a healthy copy of a large file lives as long as it needs, a
// client that stopped reading is cut off after WriteTimeout. Reads happen
// on the connection's own goroutine, so this is safe for every net.Conn.
type backupBody struct {
	f    *os.File
	size int64
	n    int64
	conn net.Conn
	wt   time.Duration
	done func(n int64) // called once, at Close
}

func (b *backupBody) Read(p []byte) (int, error) {
	if b.conn != nil && b.wt > 0 {
		b.conn.SetWriteDeadline(time.Now().Add(b.wt))
	}
	n, err := b.f.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *backupBody) Close() error {
	if b.done != nil {
		b.done(b.n)
		b.done = nil
	}
	return b.f.Close()
}

var _ io.ReadCloser = (*backupBody)(nil)
