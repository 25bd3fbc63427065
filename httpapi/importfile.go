package httpapi

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// Import files (POST /api/v1/import). Both formats describe users by the
// native API's rules: a row is checked as the body of a POST (a new
// user) or a PATCH (the user with that ext_id) would be, by applyUser, so
// a file cannot hold what the API would refuse. A field the file does not
// have (a CSV column that is absent, an NDJSON key that is absent) is
// left as it is; a present one is set, an empty CSV cell clearing it
// (tags, valid_from, …) except state and locks, where an empty cell keeps
// the stored value (a new user still needs locks).
//
// CSV: a header row names the columns (csvColumns, any order, case and
// surrounding spaces ignored; an unknown or repeated column is an error
// naming it). tags, cards and pins hold ';'-separated lists. A card is
// written as the credential API takes it: decimal, 0x-hex, AA:BB:CC bytes,
// or FACILITY/CARD; a format name and ':' in front binds it to that
// format ("h10301:8065495", "h10301:123/4567"). The format prefix is a
// name (h10301, 34bit, c1000, h10304, 26bit, 35bit, 37bit,
// corporate1000), never the two-digit aliases, which read as a hex byte.
//
// NDJSON: one native user object per line (what GET /api/v1/users/{id}
// shows; read-only fields are ignored), plus "cards" and "pins": arrays
// of strings as in CSV. Blank lines are skipped.

// csvColumns are the CSV columns an import knows, in export order.
var csvColumns = []string{"ext_id", "name", "first_name", "last_name", "email", "phone", "state", "locks",
	"valid_from", "valid_to", "tags", "cards", "pins"}

// maxImportLine bounds one NDJSON line (a user with 32 tags of 64 bytes
// and 64 properties of 1 KiB fits many times over).
const maxImportLine = 1 << 20

// csvSource reads a CSV import file from f (read again on every pass).
func csvSource(f io.ReaderAt, size int64) store.ImportSource {
	return func(yield func(*store.ImportRow) bool) error {
		r := csv.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10))
		r.ReuseRecord = true
		header, err := r.Read()
		if err == io.EOF {
			return &store.ImportError{Line: 1, Field: "header", Message: "the file is empty; the first row must name the columns"}
		}
		if err != nil {
			return csvError(err)
		}
		cols := make([]string, len(header))
		seen := map[string]bool{}
		for i, h := range header {
			h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) // Excel's BOM
			switch {
			case !isColumn(h):
				return &store.ImportError{Line: 1, Field: h, Message: "is not a column an import knows (" + strings.Join(csvColumns, ", ") + ")"}
			case seen[h]:
				return &store.ImportError{Line: 1, Field: h, Message: "is named twice in the header"}
			}
			seen[h] = true
			cols[i] = h
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				return nil
			}
			line, _ := r.FieldPos(0)
			if err != nil && !errors.Is(err, csv.ErrFieldCount) {
				return csvError(err)
			}
			row := &store.ImportRow{Line: line}
			if err != nil {
				row.Errs = []store.ImportError{{Field: "csv", Message: "has " + strconv.Itoa(len(rec)) + " fields; the header has " + strconv.Itoa(len(cols))}}
			} else {
				csvRow(row, cols, rec)
			}
			if !yield(row) {
				return nil
			}
		}
	}
}

func isColumn(name string) bool {
	for _, c := range csvColumns {
		if c == name {
			return true
		}
	}
	return false
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &store.ImportError{Line: pe.Line, Field: "csv", Message: pe.Err.Error() + " (the rest of the file was not read)"}
	}
	return err
}

// csvRow turns one CSV record into a row: the cells become the JSON
// fields applyUser reads.
func csvRow(row *store.ImportRow, cols, rec []string) {
	fields := make(map[string]json.RawMessage, len(cols))
	str := jsonString
	for i, col := range cols {
		v := strings.TrimSpace(rec[i])
		switch col {
		case "cards":
			row.SetCards = true
			for _, c := range splitList(v) {
				row.Cards = append(row.Cards, cardCell(row, c))
			}
		case "pins":
			pinCells(row, splitList(v))
		case "tags":
			b := []byte{'['}
			for i, item := range splitList(v) {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, jsonString(item)...)
			}
			fields[col] = append(b, ']')
		case "valid_from", "valid_to":
			if v == "" {
				fields[col] = json.RawMessage("null")
			} else {
				fields[col] = str(v)
			}
		case "state", "locks":
			if v != "" {
				fields[col] = str(v)
			}
		case "ext_id":
			row.ExtID = v
			if v != "" {
				fields[col] = str(v)
			}
		default:
			fields[col] = str(v)
		}
	}
	row.Apply = applyFields(fields)
}

// jsonString is s as a JSON string: as json.Marshal writes it, without
// its reflection for the plain text most cells are.
func jsonString(s string) json.RawMessage {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return b
		}
	}
	b := make([]byte, 0, len(s)+2)
	return append(append(append(b, '"'), s...), '"')
}

// splitList splits a ';' list, dropping empty items and spaces.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// cardCell reads one card as the credential API would (see the package
// note above), recording a bad one in row.Errs.
func cardCell(row *store.ImportRow, s string) store.Credential {
	n := len(row.Cards) + 1
	value, format, err := parseCardText(s)
	if err != nil {
		row.Errs = append(row.Errs, store.ImportError{Field: "cards", Message: "entry " + strconv.Itoa(n) + ": " + err.Error()})
	}
	return store.Credential{Value: value, Format: format}
}

// pinCells sets the row's PINs, recording a bad one in row.Errs (the
// message never repeats it).
func pinCells(row *store.ImportRow, pins []string) {
	row.SetPINs = true
	for n, p := range pins {
		pin, err := access.ParsePIN(p)
		if err != nil {
			row.Errs = append(row.Errs, store.ImportError{Field: "pins", Message: "entry " + strconv.Itoa(n+1) + ": " + err.Error()})
			continue
		}
		row.PINs = append(row.PINs, store.Credential{Value: pin})
	}
}

// parseCardText reads a card written as text: [FORMAT:]NUMBER or
// [FORMAT:]FACILITY/CARD, NUMBER in any form access.ParseCardNumber
// takes. It returns the canonical value and format name ("" plain).
func parseCardText(s string) (value, format string, err error) {
	s = strings.TrimSpace(s)
	if prefix, rest, ok := strings.Cut(s, ":"); ok && len(prefix) != 2 {
		f, known := access.LookupCardFormat(prefix)
		if !known {
			return "", "", errors.New("unknown card format " + strconv.Quote(prefix) + " (want h10301, 34bit, c1000 or h10304)")
		}
		format, s = f.Name, rest
	}
	if fac, card, ok := strings.Cut(s, "/"); ok {
		f, errF := strconv.ParseUint(strings.TrimSpace(fac), 10, 32)
		c, errC := strconv.ParseUint(strings.TrimSpace(card), 10, 32)
		if errF != nil || errC != nil {
			return "", "", errors.New("FACILITY/CARD must be two decimal numbers")
		}
		v, err := access.CardFromFacility(format, f, c)
		if err != nil {
			return "", "", err
		}
		return access.FormatCard(v), format, nil
	}
	v, err := access.ParseCardNumber(s)
	if err != nil {
		return "", "", err
	}
	return access.FormatCard(v), format, nil
}

// applyFields is a row's Apply: fields checked by applyUser as a POST
// (new user) or PATCH (stored user) body.
func applyFields(fields map[string]json.RawMessage) func(u *store.User, isNew bool) []store.ImportError {
	return func(u *store.User, isNew bool) []store.ImportError {
		// known grows to every field applyUser looks up (the view's
		// read-only ones too): about 60 names, a 2-3 KB map that a
		// million rows would otherwise allocate twice each (the check
		// and the write pass), so it is reused.
		known := knownPool.Get().(map[string]bool)
		defer func() {
			clear(known)
			knownPool.Put(known)
		}()
		o := &object{fields: fields, known: known}
		mode := modePatch
		if isNew {
			mode = modeCreate
		}
		applyUser(o, u, mode)
		o.lookup("cards") // read by the row's reader
		o.lookup("pins")
		var out []store.ImportError
		for _, e := range o.unknown(o.errs) {
			out = append(out, store.ImportError{Field: e.Field, Message: e.Message})
		}
		return out
	}
}

// knownPool holds applyFields' maps of the fields a row's check looked up.
var knownPool = sync.Pool{New: func() any { return make(map[string]bool, 64) }}

// ndjsonSource reads an NDJSON import file from f.
func ndjsonSource(f io.ReaderAt, size int64) store.ImportSource {
	return func(yield func(*store.ImportRow) bool) error {
		sc := bufio.NewScanner(io.NewSectionReader(f, 0, size))
		sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			if !yield(ndjsonRow(line, b)) {
				return nil
			}
		}
		if errors.Is(sc.Err(), bufio.ErrTooLong) {
			return &store.ImportError{Line: line + 1, Field: "json", Message: "the line is longer than " + strconv.Itoa(maxImportLine) + " bytes (the rest of the file was not read)"}
		}
		return sc.Err()
	}
}

func ndjsonRow(line int, b []byte) *store.ImportRow {
	row := &store.ImportRow{Line: line}
	o, err := parseObject(b)
	if err != nil {
		msg := err.Error()
		var ae *apiError
		if errors.As(err, &ae) {
			msg = ae.Detail
		}
		row.Errs = []store.ImportError{{Field: "json", Message: msg}}
		return row
	}
	if r, ok := o.raw("ext_id"); ok {
		json.Unmarshal(r, &row.ExtID) // a non-string is applyUser's error
	}
	list := func(name string) ([]string, bool) {
		r, present := o.lookup(name)
		if !present {
			return nil, false
		}
		var items []string
		if !isNull(r) && json.Unmarshal(r, &items) != nil {
			row.Errs = append(row.Errs, store.ImportError{Field: name, Message: "must be an array of strings"})
			items = nil // what Unmarshal filled in before it stopped
		}
		return items, true
	}
	if cards, ok := list("cards"); ok {
		row.SetCards = true
		for _, c := range cards {
			row.Cards = append(row.Cards, cardCell(row, c))
		}
	}
	if pins, ok := list("pins"); ok {
		pinCells(row, pins)
	}
	row.Apply = applyFields(o.fields)
	return row
}
