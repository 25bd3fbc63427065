package basip

import (
	"encoding/json"

	"github.com/doord/doord/httpapi/core"
)

// Device information: GET /api/info, the probe every BAS-IP client sends
// first, before it logs in (artonit-svc Device.GetInfo "без авторизации",
// php-client getInfo, SmartYard getSysinfo with HTTP Basic, ha-av03bd).
// It is public: a Basic or Bearer header on it is not looked at. It says
// nothing an operator would keep from the LAN (no user, door or network
// detail), and costs one write of bytes encoded once at start.

// APIVersion is the api_version /api/info reports. Its major number is a
// switch in real clients: artonit-svc (Lexer25/basip_exe Device.cs
// GetInfoCard) looks identifiers up with the expression filter
// `filter=identifier_number eq '<n>'` when the major is 1, and with the
// flat filter_field/filter_type/filter_format/filter_value parameters
// otherwise, and then deletes every identifier the list returns. doord's
// list filter is the expression language of the camdroid-panels 1.x
// documentation (1.0.7–1.3.1: eq, nq, gt, lt, ge, le, and/or/not,
// order_by), so major 1 is the dialect doord is sure to filter: a client
// sending a form doord ignored would get the whole list back and delete
// every card. 1.3.1 is the newest documented 1.x.
const APIVersion = "1.3.1"

// Info is what GET /api/info tells clients about this device.
type Info struct {
	Version    string // doord's version: firmware, framework and frontend
	Commit     string // the build's VCS revision, "" when unknown
	DeviceName string // [basip] device_name; "doord" when empty
	Serial     string // [basip] serial, or the one made for the data directory
}

// infoBody is /api/info's answer, field for field as BAS-IP panels send
// it (camdroid-panels doc example; php-client src/v1/Dto/Info.php, whose
// hydrator requires every non-nullable field).
type infoBody struct {
	FirmwareVersion  string  `json:"firmware_version"`
	FrameworkVersion string  `json:"framework_version"`
	FrontendVersion  string  `json:"frontend_version"`
	APIVersion       string  `json:"api_version"`
	DeviceName       string  `json:"device_name"`
	DeviceType       string  `json:"device_type"`
	DeviceModel      string  `json:"device_model"`
	Serial           string  `json:"device_serial_number"`
	HybridEnable     bool    `json:"hybrid_enable"`
	HybridVersion    *string `json:"hybrid_version"`
	Commit           string  `json:"commit"`
	MCUVersion       string  `json:"mcu_version"`
}

// encodeInfo builds the two public answers once.
func encodeInfo(in Info) (info, name []byte) {
	if in.DeviceName == "" {
		in.DeviceName = "doord"
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	info, _ = json.Marshal(infoBody{
		FirmwareVersion: in.Version, FrameworkVersion: in.Version, FrontendVersion: in.Version,
		APIVersion: APIVersion, DeviceName: in.DeviceName,
		DeviceType: "door controller", DeviceModel: "doord", Serial: in.Serial,
		Commit: in.Commit,
		// doord runs on the board's CPU: there is no separate MCU firmware.
		MCUVersion: "",
	})
	name, _ = json.Marshal(struct {
		DeviceName string `json:"device_name"`
	}{in.DeviceName})
	return info, name
}

// basipInfo is GET /api/info and GET /api/v1/info.
func (s *Dialect) basipInfo(r *core.Request) error {
	writeRaw(r, s.info)
	return nil
}

// basipDeviceName is GET /api/v0/device/name (artonit-com's fallback when
// /api/info fails): {"device_name": …}.
func (s *Dialect) basipDeviceName(r *core.Request) error {
	writeRaw(r, s.name)
	return nil
}

func writeRaw(r *core.Request, b []byte) {
	r.Ctx.SetStatusCode(200)
	r.Ctx.SetContentType("application/json")
	r.Ctx.SetBody(b)
}
