package board

import (
	"os"
	"reflect"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// board/example.toml is what the daemon's example config copies verbatim;
// it must decode to SimExample and validate.
func TestExampleTOML(t *testing.T) {
	b, err := os.ReadFile("example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Board Config `toml:"board"`
	}
	d := toml.NewDecoder(bytesReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&file); err != nil {
		t.Fatal(err)
	}
	if want := SimExample(); !reflect.DeepEqual(file.Board, want) {
		t.Errorf("example.toml decodes to\n%+v\nwant SimExample()\n%+v", file.Board, want)
	}
	if err := file.Board.Validate(); err != nil {
		t.Errorf("example does not validate: %v", err)
	}
}

func TestDurationTOML(t *testing.T) {
	var c struct {
		D Duration `toml:"d"`
	}
	if err := toml.Unmarshal([]byte(`d = "1h2m"`), &c); err != nil || c.D.D().String() != "1h2m0s" {
		t.Errorf("got %v, %v", c.D.D(), err)
	}
	if err := toml.Unmarshal([]byte(`d = "soon"`), &c); err == nil {
		t.Error("bad duration accepted")
	}
}
