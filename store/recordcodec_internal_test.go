package store

import (
	"reflect"
	"testing"
	"time"
)

// The binary form reads back exactly what the JSON form of schemas 1 to
// 3 did, for every field and the defaults both leave out.
func TestRecordCodecMatchesJSON(t *testing.T) {
	zone := time.FixedZone("x", 5*3600+1800)
	from := time.Date(2024, 1, 2, 3, 4, 5, 6, zone)
	to := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	created := time.Date(2026, 12, 4, 10, 0, 0, 123, time.UTC)
	users := []User{
		{ID: "01a2426f-76d4-7c6f-b977-d03ac9731ec9", Name: "Greta Meyer", FirstName: "Greta", LastName: "Meyer",
			Tags: []string{"management"}, Email: "g@example.org", State: StateActive, Locks: LocksBoth, CreatedAt: created, UpdatedAt: created},
		{ID: "01A2426F-76D4-7C6F-B977-D03AC9731EC9", ExtID: "badge-7", Name: "Greta  Meyer", FirstName: "Greta", LastName: "Meyer",
			Info: "night shift", Notes: "n\"otes", Tags: []string{"", "a", "active"}, Properties: map[string]string{"b": "2", "a": "", "": "x"},
			Phone: "+49", State: StateArchived, ValidFrom: &from, ValidTo: &to, Locks: LocksSecond,
			TimeProfiles: []uint64{1, 1 << 40}, Apartments: []uint64{7}, AuthFactors: []string{"card", "pin", "we\"ird"},
			CustomAccess: true, Security: true, ExtendedOpen: true, CreatedAt: created, CreatedBy: "admin",
			UpdatedAt: created.Add(time.Hour), UpdatedBy: "op"},
		{ID: "not-a-uuid", Name: "Ann ", FirstName: "Ann", State: "odd", Locks: "9", CreatedBy: "x", UpdatedBy: "x"},
		{ID: "u", State: StateDisabled},
		{}, // no state, no locks: fail closed in both forms
	}
	for i := range users {
		u := &users[i]
		j, err := encodeUserJSON(u)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeUserJSON(9, j)
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeUserBinary(u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeUser(9, b)
		if err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("user %d:\n got %+v\nwant %+v", i, got, want)
		}
		var a AccessUser
		var l ListUser
		if !scanUser(b, &a) || !scanListUser(b, &l) {
			t.Fatalf("user %d: scanners refused the record", i)
		}
		a.UID, l.UID = 9, 9
		if wa := UserAccess(&want); !reflect.DeepEqual(a, wa) {
			t.Errorf("user %d scanned:\n got %+v\nwant %+v", i, a, wa)
		}
		if wl := UserList(&want); l != wl {
			t.Errorf("user %d listed:\n got %+v\nwant %+v", i, l, wl)
		}
		if i == 0 && len(b) >= len(j)/2 {
			t.Errorf("a typical user takes %d bytes binary, %d JSON: want less than half", len(b), len(j))
		}
	}
	creds := []Credential{
		{UserUID: 1, Type: CredCard, Value: "65537", Locks: LocksBoth, CreatedAt: created, UpdatedAt: created},
		{UserUID: 1 << 50, Type: CredPIN, Value: "1", Format: "", Spelling: "0x1", Owner: OwnerGuest, OwnerName: "Guest",
			Locks: LocksFirst, ValidFrom: &from, ValidTo: &to, MaxPasses: 1<<32 - 1, PassesLeft: 3,
			TimeProfiles: []uint64{2, 3}, Apartment: 4, CreatedAt: created, UpdatedAt: created.Add(time.Second)},
		{Type: "weird", Value: "both", Format: "h10301", Owner: "odd"},
		{}, // no locks: opens nothing in both forms
	}
	for i := range creds {
		c := &creds[i]
		j, err := encodeCredentialJSON(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeCredentialJSON(5, j)
		if err != nil {
			t.Fatal(err)
		}
		b, err := encodeCredentialBinary(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCredential(5, b)
		if err != nil {
			t.Fatalf("credential %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("credential %d:\n got %+v\nwant %+v", i, got, want)
		}
		var a AccessCredential
		var l ListCredential
		if !scanCredential(b, &a) || !scanListCredential(b, &l) {
			t.Fatalf("credential %d: scanners refused the record", i)
		}
		a.ID, l.ID = 5, 5
		if wa := CredentialAccess(&want); !reflect.DeepEqual(a, wa) {
			t.Errorf("credential %d scanned:\n got %+v\nwant %+v", i, a, wa)
		}
		if wl := CredentialList(&want); l != wl {
			t.Errorf("credential %d listed:\n got %+v\nwant %+v", i, l, wl)
		}
		if i == 0 && len(b) >= len(j)/2 {
			t.Errorf("a typical credential takes %d bytes binary, %d JSON: want less than half", len(b), len(j))
		}
	}
}

// A damaged binary record is a corrupt record for the decoder and the
// scanners alike (they fall back to the decoder, which refuses it): a
// truncated field, an unknown field or kind, a word past the table.
func TestRecordCodecRefusesDamage(t *testing.T) {
	u := User{ID: "01a2426f-76d4-7c6f-b977-d03ac9731ec9", Name: "x", State: StateActive, Locks: LocksBoth, CreatedAt: time.Unix(1, 0)}
	b, err := encodeUserBinary(&u)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"truncated":     b[:len(b)-1],
		"unknown field": append(append([]byte(nil), b...), 31<<3|recFlag),
		"unknown kind":  append(append([]byte(nil), b...), ufSecurity<<3|7),
		"wrong kind":    append(append([]byte(nil), b...), ufSecurity<<3|recUvarint, 1),
		"bad word":      append(append([]byte(nil), b...), ufState<<3|recWord, byte(len(recWords))),
		"empty":         {},
		"bad version":   append([]byte{2}, b[1:]...),
	} {
		if _, err := decodeUser(1, data); err == nil {
			t.Errorf("%s: decodeUser accepted it", name)
		}
		var a AccessUser
		var l ListUser
		if scanUser(data, &a) {
			t.Errorf("%s: scanUser accepted it", name)
		}
		if name != "wrong kind" && scanListUser(data, &l) { // the list scanner does not read the security flag
			t.Errorf("%s: scanListUser accepted it", name)
		}
	}
}

// Whatever bytes a binary record holds, reading it never panics, and a
// record the decoder accepts is read the same by the start-up scanners.
func FuzzBinaryRecords(f *testing.F) {
	from := time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	u := User{ID: "01a2426f-76d4-7c6f-b977-d03ac9731ec9", Name: "A B", FirstName: "A", LastName: "B", Tags: []string{"t"},
		Properties: map[string]string{"k": "v"}, State: StateActive, Locks: LocksBoth, ValidFrom: &from,
		TimeProfiles: []uint64{3}, AuthFactors: []string{"card"}, CustomAccess: true, CreatedAt: time.Unix(5, 0)}
	c := Credential{UserUID: 7, Type: CredCard, Value: "123", Format: "h10301", Owner: OwnerGuest, Locks: LocksFirst,
		ValidTo: &from, MaxPasses: 3, PassesLeft: 2, TimeProfiles: []uint64{1}, Apartment: 2}
	ub, _ := encodeUserBinary(&u)
	cb, _ := encodeCredentialBinary(&c)
	f.Add(ub)
	f.Add(cb)
	f.Fuzz(func(t *testing.T, data []byte) {
		if du, err := decodeUser(1, data); err == nil && !isJSONRecord(data) {
			var a AccessUser
			var l ListUser
			if !scanUser(data, &a) || !scanListUser(data, &l) {
				t.Fatalf("decoded %+v, a scanner refused it", du)
			}
			a.UID, l.UID = 1, 1
			if wa := UserAccess(&du); !reflect.DeepEqual(a, wa) {
				t.Fatalf("scanned %+v, decoded %+v", a, wa)
			}
			if wl := UserList(&du); l != wl {
				t.Fatalf("listed %+v, decoded %+v", l, wl)
			}
		}
		if dc, err := decodeCredential(1, data); err == nil && !isJSONRecord(data) {
			var a AccessCredential
			var l ListCredential
			if !scanCredential(data, &a) || !scanListCredential(data, &l) {
				t.Fatalf("decoded %+v, a scanner refused it", dc)
			}
			a.ID, l.ID = 1, 1
			if wa := CredentialAccess(&dc); !reflect.DeepEqual(a, wa) {
				t.Fatalf("scanned %+v, decoded %+v", a, wa)
			}
			if wl := CredentialList(&dc); l != wl {
				t.Fatalf("listed %+v, decoded %+v", l, wl)
			}
		}
	})
}
