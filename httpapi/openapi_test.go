package httpapi

import (
	"encoding/json"
	"iter"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi/console"
	"github.com/doord/doord/store/storetest"
)

// noSim satisfies Simulator so that the simulator's routes register; the
// router test never calls it.
type noSim struct{ Simulator }

// nativeRoutes lists the router's native routes as "METHOD /path" with
// every parameter written {}.
func nativeRoutes(s *Server) []string {
	var out []string
	for _, r := range s.rt.Routes {
		segs := make([]string, len(r.Segs))
		for i, seg := range r.Segs {
			if strings.HasPrefix(seg, "{") {
				seg = "{}"
			}
			segs[i] = seg
		}
		for m, e := range r.Methods {
			if !e.basip {
				out = append(out, m+" /"+strings.Join(segs, "/"))
			}
		}
	}
	slices.Sort(out)
	return out
}

// documentedOps lists openapi.json's operations as method and path.
func documentedOps(t *testing.T) [][2]string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for p, ops := range doc.Paths {
		for m := range ops {
			out = append(out, [2]string{strings.ToUpper(m), p})
		}
	}
	return out
}

func normalized(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// Every native route is in the document, and every documented operation
// reaches a native route (with doors and the simulator present, as on
// `make run`). A literal path the document lists beside a parameter
// (/operators/me beside /operators/{id}) counts when the router sends it
// to the parameter's route.
func TestOpenAPICoversTheRouterBothWays(t *testing.T) {
	st := storetest.Open(t)
	s := New(st, Config{}, nil, Parts{Doors: &fakeDoors{doors: map[string]*DoorView{}}, Sim: noSim{}})
	ops := documentedOps(t)
	var documented []string
	for _, o := range ops {
		documented = append(documented, o[0]+" "+normalized(o[1]))
	}
	for _, r := range nativeRoutes(s) {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	// The web console (/ and /console/*) is served beside the router and is
	// not part of the API: no route and no documented path is under it.
	for _, r := range append(nativeRoutes(s), documented...) {
		_, p, _ := strings.Cut(r, " ")
		if console.Owns(p) {
			t.Errorf("%s is the console's, not the API's", r)
		}
	}
	for _, p := range []string{"/", "/console/app.js"} {
		if _, _, _, _, found := s.rt.Match("GET", p); found {
			t.Errorf("the router has a route for the console's %s", p)
		}
	}
	for _, o := range ops {
		concrete := strings.NewReplacer("{id}", "1", "{ref}", "1", "{reader}", "1", "{input}", "door1_contact").Replace(o[1])
		e, _, _, ok, found := s.rt.Match(o[0], concrete)
		if !found || !ok || e.basip {
			t.Errorf("openapi.json documents %s %s, which the router does not serve", o[0], o[1])
		}
	}
}

// httpHeader copies fasthttp headers into a net/http Header.
func httpHeader(h interface {
	All() iter.Seq2[[]byte, []byte]
}) http.Header {
	out := http.Header{}
	for k, v := range h.All() {
		out.Add(string(k), string(v))
	}
	return out
}
