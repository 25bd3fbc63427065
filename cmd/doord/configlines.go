package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// A config problem found after decoding (a bad value, a door naming no
// reader) is reported with the file and line it is on, as a syntax error
// is, so that an installer goes straight to it: keyLines reads where each
// key is, lineOf finds the key a validation message is about.

// configLines knows the line of each key of a TOML document.
type configLines struct {
	// line: dotted paths ("http.max_body_bytes"), array tables by index
	// ("doors[0]" is the [[doors]] header, "doors[0].lock" a key in it).
	line map[string]int
	// byID: "doors[id=1]" is "doors[0]" when that entry has id = "1".
	byID map[string]string
}

func keyLines(src []byte) configLines {
	cl := configLines{line: map[string]int{}, byID: map[string]string{}}
	var p unstable.Parser
	p.Reset(src)
	table := ""               // the current [table] or [[array]][i]
	count := map[string]int{} // [[array]] entries so far
	for p.NextExpression() {
		e := p.Expression()
		var parts []string
		line := 0
		for it := e.Key(); it.Next(); {
			k := it.Node()
			parts = append(parts, string(k.Data))
			if line == 0 {
				line = p.Shape(k.Raw).Start.Line
			}
		}
		key := strings.Join(parts, ".")
		switch e.Kind {
		case unstable.Table:
			table = key
			cl.line[table] = line
		case unstable.ArrayTable:
			i := count[key]
			count[key]++
			table = fmt.Sprintf("%s[%d]", key, i)
			cl.line[table] = line
		case unstable.KeyValue:
			if table != "" {
				key = table + "." + key
			}
			cl.line[key] = line
			if strings.HasSuffix(key, "].id") {
				base := table[:strings.LastIndexByte(table, '[')]
				cl.byID[fmt.Sprintf("%s[id=%s]", base, e.Value().Data)] = table
			}
		}
	}
	return cl // a syntax error stops the walk: the decoder reports it with its position
}

// find is the line of path, or of the nearest enclosing key that is in
// the file (a door's header for a default it lacks); 0 if none.
func (cl configLines) find(path string) int {
	if m := idPath.FindStringSubmatch(path); m != nil {
		idx, ok := cl.byID[m[1]]
		if !ok {
			return 0
		}
		path = idx + m[2]
	}
	for {
		if n, ok := cl.line[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

var (
	idPath = regexp.MustCompile(`^(.*?\[id=[^\]]*\])(.*)$`)
	// doord's own messages: `log_level: …`, `http.tls: …`, `doors[id="1"].lock: …`.
	keyMsg = regexp.MustCompile(`^([a-z_]+(?:\.[a-z_]+)*)(?:\[id="([^"]*)"\])?((?:\.[a-z_]+)*):`)
	// the board's: `reader "1": …`, `door "2" rex: …`, `pin "relay1": …`, `board: unknown kind …`.
	boardItem = regexp.MustCompile(`^(reader|door|pin) "([^"]*)"(?::? (?:unknown )?([a-z_]+))?`)
	boardKey  = regexp.MustCompile(`^board: (?:unknown )?([a-z_]+)`)
)

// lineOf is the line a validation message is about, or 0.
func (cl configLines) lineOf(msg string) int {
	msg = strings.TrimPrefix(msg, "board: ")
	if m := boardItem.FindStringSubmatch(msg); m != nil {
		switch m[1] {
		case "reader":
			return cl.find("board.readers[id=" + m[2] + "]." + m[3])
		case "door":
			return cl.find("board.doors[id=" + m[2] + "]." + m[3])
		default:
			return cl.find("board.pins." + m[2])
		}
	}
	if m := boardKey.FindStringSubmatch("board: " + msg); m != nil && cl.line["board."+m[1]] != 0 {
		return cl.line["board."+m[1]]
	}
	if m := keyMsg.FindStringSubmatch(msg); m != nil {
		if m[2] != "" {
			return cl.find(m[1] + "[id=" + m[2] + "]" + m[3])
		}
		return cl.find(m[1] + m[3])
	}
	return 0
}

// annotate prefixes each problem with "FILE:LINE: " where its line is known.
func annotate(path string, src []byte, problems []string) []string {
	cl := keyLines(src)
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		for _, msg := range strings.Split(p, "\n") {
			if n := cl.lineOf(msg); n > 0 {
				msg = fmt.Sprintf("%s:%d: %s", path, n, msg)
			}
			out = append(out, msg)
		}
	}
	return out
}
