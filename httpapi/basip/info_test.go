package basip_test

import (
	"strings"
	"testing"

	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/httpapi/basip"
)

// GET /api/info answers without authentication, as every client expects
// (artonit-svc Device.GetInfo sends no Authorization; php-client getInfo
// calls it before login), with every field php-client's Info DTO
// requires (src/v1/Dto/Info.php) — hybrid_enable a bool, hybrid_version
// null — on one line (artonit-com reads only the first line). A Basic or
// Bearer header on it is ignored, even a wrong one (SmartYard sends
// Basic on every request).
func TestBasipInfo(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) {
		c.Version = "1.4.0"
		c.BASIPInfo = basip.Info{Commit: "abcdef012345", DeviceName: "Entrance", Serial: "0123456789AB"}
	})
	want := `{"firmware_version":"1.4.0","framework_version":"1.4.0","frontend_version":"1.4.0","api_version":"` + basip.APIVersion +
		`","device_name":"Entrance","device_type":"door controller","device_model":"doord","device_serial_number":"0123456789AB",` +
		`"hybrid_enable":false,"hybrid_version":null,"commit":"abcdef012345","mcu_version":""}`
	for _, path := range []string{"/api/info", "/api/v1/info"} {
		e.do("GET", path, "", "").bwant(200, want)
		e.do("GET", path, "", "", basicAuth("admin", "wrong password")).bwant(200, want)
		e.do("GET", path, "", "", basicAuth("admin", adminPW)).bwant(200, want)
		e.do("GET", path, "not-a-token", "").bwant(200, want)
	}
	// artonit-com's fallback (COMLibrBAS GetDeviceName).
	e.do("GET", "/api/v0/device/name", "", "").bwant(200, `{"device_name":"Entrance"}`)
	// Wrong Basic passwords on the public route are not checked, so they
	// do not count toward the account's lockout: the login still works.
	for range 10 {
		e.do("GET", "/api/info", "", "", basicAuth("admin", "wrong password")).bwant(200, want)
	}
	e.basipLogin("admin", adminPW)
	if strings.Contains(want, "\n") {
		t.Fatal("info is not one line")
	}
}

// With nothing configured the device is "doord" and the version "dev";
// api_version's major is 1: artonit-svc (Lexer25/basip_exe Device.cs
// GetInfoCard) then sends the expression filter doord parses.
func TestBasipInfoDefaults(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/info", "", "").bwant(200, "").json()
	if r["device_name"] != "doord" || r["firmware_version"] != "dev" || !strings.HasPrefix(r["api_version"].(string), "1.") {
		t.Fatalf("info %v", r)
	}
	e.do("GET", "/api/v0/device/name", "", "").bwant(200, `{"device_name":"doord"}`)
}

// The reason for major 1: artonit-svc then looks an identifier up with
// `filter=identifier_number eq '<n>'` (Lexer25/basip_exe Device.cs
// GetInfoCard) and deletes every uid the list returns; doord's filter
// must return that card only.
func TestBasipInfoMajorOneFilterFilters(t *testing.T) {
	e := newEnv(t)
	if v := e.do("GET", "/api/info", "", "").bwant(200, "").str("api_version"); !strings.HasPrefix(v, "1.") {
		t.Fatalf("api_version %q", v)
	}
	tok := e.basipLogin("admin", adminPW)
	for _, n := range []string{"1234567", "7654321", "12345678"} {
		e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_owner":{"name":"`+n+`","type":"owner"},"identifier_type":"card","identifier_number":"`+n+`","lock":"all"}`).bwant(200, "")
	}
	r := e.do("GET", "/api/v1/access/identifier/list?page_number=1&limit=20&filter=identifier_number%20eq%20%271234567%27", tok, "").bwant(200, "").json()
	items := r["list_items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["identifier_number"] != "1234567" {
		t.Fatalf("filtered list %v", items)
	}
}
