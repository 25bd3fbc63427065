package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// `doord user …` and `doord card …`: the everyday tasks of a building
// manager against a running daemon, through the native API (client.go).
// Tables for people by default; --json prints the API's own JSON for
// scripts.

const peopleHelpTail = `USER is the user's uid (the number the tables show) or id (uuid).
The daemon is --url/DOORD_URL with --token/DOORD_TOKEN (or
--token-file/DOORD_TOKEN_FILE); over https a self-signed certificate is
trusted with --ca FILE (DATA/tls-cert.pem) or --fingerprint (doord
version --tls prints it). Exit status: 0 done, 1 failed, 2 wrong command
line, 3 no such user or card, 4 conflict (e.g. the card is another
user's), 5 token refused.`

func init() {
	register(&command{name: "user", summary: "list, show, add, disable, enable and delete users (running daemon)",
		help: "Users of a running daemon.\n\n" + peopleHelpTail,
		subs: []*command{
			{name: "list", args: "[--q TEXT] [--state S] [--tag T] [--limit N] [--cursor C | --all] [--json]",
				summary: "list users, by name search, state or tag, one page at a time", run: userList,
				help: "Lists users in uid order. --q searches names; when there are more,\n" +
					"the command for the next page is printed on stderr (or --all follows them)."},
			{name: "show", args: "USER [--json]", summary: "show a user and their cards and PINs", run: userShow},
			{name: "add", args: "--name NAME --locks both|1|2 [--card VALUE]... [--pin PIN|-] [--ext-id ID] [--first-name F] [--last-name L] [--email E] [--phone P] [--json]",
				summary: "add a user, with cards and a PIN", run: userAdd,
				help: "Adds a user with the cards and PIN given; all or nothing: if a card or\n" +
					"the PIN is refused (e.g. another user's card, exit 4) the user is removed\n" +
					"again. VALUE is any form the API accepts (8065495, 0x7B11D7, 7B:11:D7)\n" +
					"or FACILITY/CARD (123/4567, H10301 unless --format says otherwise).\n" +
					"--pin - reads the PIN from the first line of stdin (a PIN on the\n" +
					"command line is visible to other users of the machine)."},
			{name: "disable", args: "USER", summary: "disable a user: their cards and PINs stop opening at once", run: userState("disable", "disabled")},
			{name: "enable", args: "USER", summary: "enable a disabled user again", run: userState("enable", "active")},
			{name: "delete", args: "USER", summary: "delete a user and their cards and PINs", run: userDelete},
		}})
	register(&command{name: "card", summary: "add, list, show and remove a user's cards (running daemon)",
		help: "Cards (credentials) of a running daemon's users.\n\n" + peopleHelpTail,
		subs: []*command{
			{name: "add", args: "USER VALUE [--format F] [--locks both|1|2] [--json]", summary: "give a user a card", run: cardAdd,
				help: "VALUE is any form the API accepts (8065495, 0x7B11D7, 7B:11:D7) or\n" +
					"FACILITY/CARD (123/4567, read as H10301 unless --format says otherwise).\n" +
					"With --format (h10301, 34bit, c1000, h10304) the card opens only for\n" +
					"frames of that format."},
			{name: "list", args: "USER [--json]", summary: "list a user's cards and PINs", run: cardList},
			{name: "show", args: "CREDENTIAL [--json]", summary: "show one card or PIN by its id", run: cardShow},
			{name: "remove", args: "CREDENTIAL", summary: "remove a card or PIN: it stops opening at once", run: cardRemove},
		}})
}

// stdin is where --pin - reads the PIN (a test gives its own).
var stdin io.Reader = os.Stdin

// apiUser and apiCred are the fields the tables show; --json prints the
// API's whole answer instead.
type apiUser struct {
	ID        string   `json:"id"`
	UID       uint64   `json:"uid"`
	ExtID     string   `json:"ext_id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Phone     string   `json:"phone"`
	State     string   `json:"state"`
	Locks     string   `json:"locks"`
	Tags      []string `json:"tags"`
	ValidFrom string   `json:"valid_from"`
	ValidTo   string   `json:"valid_to"`
}

type apiCred struct {
	ID         uint64 `json:"id"`
	UserID     string `json:"user_id"`
	Type       string `json:"type"`
	Value      string `json:"value"`
	Format     string `json:"format"`
	Locks      string `json:"locks"`
	MaxPasses  uint32 `json:"max_passes"`
	PassesLeft uint32 `json:"passes_left"`
}

// peopleFlags are the flags every user and card command has.
type peopleFlags struct {
	api  *apiFlags
	json *bool
}

func addPeopleFlags(fs *flag.FlagSet) peopleFlags {
	return peopleFlags{api: addAPIFlags(fs), json: fs.Bool("json", false, "print the API's JSON instead of a table")}
}

// parse parses the command line, wants exactly nArgs positional
// arguments (named in what) and makes the client.
func (p peopleFlags) parse(fs *flag.FlagSet, args []string, cmd string, what ...string) ([]string, *apiClient, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != len(what) {
		if len(what) == 0 {
			return nil, nil, usageErrorf("%s: unexpected argument %q", cmd, pos[0])
		}
		return nil, nil, usageErrorf("%s: want %s, got %d arguments", cmd, strings.Join(what, " "), len(pos))
	}
	c, err := p.api.client(cmd)
	return pos, c, err
}

func userPath(id string) string { return "/api/v1/users/" + url.PathEscape(id) }

func printJSON(w io.Writer, raw json.RawMessage) {
	w.Write(raw)
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		fmt.Fprintln(w)
	}
}

func userList(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	p := addPeopleFlags(fs)
	q := fs.String("q", "", "search: users whose name contains TEXT")
	state := fs.String("state", "", "only users in this state: active, disabled or archived")
	tag := fs.String("tag", "", "only users with this tag")
	limit := fs.Int("limit", 0, "users per page (default: the daemon's)")
	cursor := fs.String("cursor", "", "the page after this cursor (printed after the previous page)")
	all := fs.Bool("all", false, "follow every page")
	_, c, err := p.parse(fs, args, "user list")
	if err != nil {
		return err
	}
	v := url.Values{}
	for k, s := range map[string]string{"q": *q, "state": *state, "tag": *tag} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if *limit > 0 {
		v.Set("limit", strconv.Itoa(*limit))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*p.json {
		fmt.Fprintln(tw, "UID\tNAME\tSTATE\tLOCKS\tEXT_ID")
	}
	next := *cursor
	for {
		if next != "" {
			v.Set("cursor", next)
		}
		var page struct {
			Items      []apiUser `json:"items"`
			NextCursor *string   `json:"next_cursor"`
		}
		raw, err := c.callInto("GET", "/api/v1/users?"+v.Encode(), nil, &page)
		if err != nil {
			return asExit(err)
		}
		if *p.json {
			printJSON(stdout, raw)
		} else {
			for _, u := range page.Items {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.UID, u.Name, u.State, u.Locks, u.ExtID)
			}
		}
		next = ""
		if page.NextCursor != nil {
			next = *page.NextCursor
		}
		if next == "" || !*all {
			break
		}
	}
	if !*p.json {
		tw.Flush()
	}
	if next != "" {
		fmt.Fprintf(stderr, "more: the same command with --cursor %s gives the next page (--all gives every page)\n", next)
	}
	return nil
}

func userShow(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	pos, c, err := p.parse(fs, args, "user show", "USER")
	if err != nil {
		return err
	}
	var u apiUser
	rawU, err := c.callInto("GET", userPath(pos[0]), nil, &u)
	if err != nil {
		return asExit(err)
	}
	var creds struct {
		Items []apiCred `json:"items"`
	}
	rawC, err := c.callInto("GET", userPath(pos[0])+"/credentials", nil, &creds)
	if err != nil {
		return asExit(err)
	}
	if *p.json {
		var cs struct {
			Items json.RawMessage `json:"items"`
		}
		json.Unmarshal(rawC, &cs)
		b, _ := json.Marshal(map[string]json.RawMessage{"user": rawU, "credentials": cs.Items})
		printJSON(stdout, b)
		return nil
	}
	printUser(stdout, u)
	printCreds(stdout, creds.Items)
	return nil
}

func printUser(w io.Writer, u apiUser) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range [][2]string{
		{"uid", strconv.FormatUint(u.UID, 10)}, {"id", u.ID}, {"name", u.Name}, {"state", u.State},
		{"locks", u.Locks}, {"ext_id", u.ExtID}, {"email", u.Email}, {"phone", u.Phone},
		{"tags", strings.Join(u.Tags, ", ")}, {"valid_from", u.ValidFrom}, {"valid_to", u.ValidTo},
	} {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
		}
	}
	tw.Flush()
}

func printCreds(w io.Writer, cs []apiCred) {
	if len(cs) == 0 {
		fmt.Fprintln(w, "no cards or PINs")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCREDENTIAL\tTYPE\tVALUE\tFORMAT\tLOCKS\tPASSES")
	for _, c := range cs {
		passes := ""
		if c.MaxPasses > 0 {
			passes = fmt.Sprintf("%d of %d left", c.PassesLeft, c.MaxPasses)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Type, c.Value, c.Format, c.Locks, passes)
	}
	tw.Flush()
}

// listFlag is a flag given any number of times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func userAdd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	p := addPeopleFlags(fs)
	name := fs.String("name", "", "the user's name (or give --first-name and --last-name)")
	locks := fs.String("locks", "", "doors the user may open: both, 1 or 2 (required)")
	extID := fs.String("ext-id", "", "the user's id in another system (unique; generated when absent)")
	first := fs.String("first-name", "", "first name")
	last := fs.String("last-name", "", "last name")
	email := fs.String("email", "", "e-mail address")
	phone := fs.String("phone", "", "phone number")
	var cards listFlag
	fs.Var(&cards, "card", "a card to give the user (repeatable): 8065495, 0x7B11D7, 7B:11:D7 or FACILITY/CARD")
	format := fs.String("format", "", "the cards' Wiegand format: h10301, 34bit, c1000 or h10304 (binds them to it)")
	pin := fs.String("pin", "", "a PIN of 4-12 digits, or - to read it from stdin")
	_, c, err := p.parse(fs, args, "user add")
	if err != nil {
		return err
	}
	if *name == "" && *first == "" && *last == "" {
		return usageErrorf("user add: --name (or --first-name/--last-name) is required")
	}
	if *locks == "" {
		return usageErrorf("user add: --locks both|1|2 is required (which doors the user may open)")
	}
	if *pin == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("user add: reading the PIN from stdin: %w", err)
		}
		*pin = strings.TrimSpace(line)
	}
	body := map[string]any{"locks": *locks}
	for k, v := range map[string]string{"name": *name, "ext_id": *extID, "first_name": *first, "last_name": *last, "email": *email, "phone": *phone} {
		if v != "" {
			body[k] = v
		}
	}
	var u apiUser
	rawU, err := c.callInto("POST", "/api/v1/users", body, &u)
	if err != nil {
		return asExit(fmt.Errorf("user add: %w", err))
	}
	var creds []json.RawMessage
	var made []apiCred
	add := func(what string, cb map[string]any) error {
		var cr apiCred
		raw, err := c.callInto("POST", userPath(u.ID)+"/credentials", cb, &cr)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		creds, made = append(creds, raw), append(made, cr)
		return nil
	}
	for _, v := range cards {
		if err = add("card "+v, cardBody(v, *format, "")); err != nil {
			break
		}
	}
	if err == nil && *pin != "" {
		err = add("PIN", map[string]any{"type": "pin", "value": *pin})
	}
	if err != nil {
		// All or nothing: a user without the card the installer meant to
		// give is a surprise at the door. Deleting the user deletes the
		// credentials already made.
		if _, derr := c.call("DELETE", userPath(u.ID), nil); derr != nil {
			return asExit(fmt.Errorf("user add: %w\nand removing the half-made user %d failed: %v", err, u.UID, derr))
		}
		return asExit(fmt.Errorf("user add: %w\nthe user was not added", err))
	}
	if *p.json {
		if creds == nil {
			creds = []json.RawMessage{}
		}
		b, _ := json.Marshal(map[string]any{"user": rawU, "credentials": creds})
		printJSON(stdout, b)
		return nil
	}
	fmt.Fprintf(stdout, "added user %d %q (id %s)\n", u.UID, u.Name, u.ID)
	for _, cr := range made {
		fmt.Fprintf(stdout, "  %s %s (credential %d)\n", cr.Type, cr.Value, cr.ID)
	}
	return nil
}

// cardBody is a card credential's JSON: "123/4567" is a facility/card
// pair, anything else goes to the API as typed.
func cardBody(v, format, locks string) map[string]any {
	b := map[string]any{"type": "card", "value": v}
	if fac, card, ok := strings.Cut(v, "/"); ok {
		f, err1 := strconv.ParseUint(fac, 10, 32)
		n, err2 := strconv.ParseUint(card, 10, 32)
		if err1 == nil && err2 == nil {
			b["value"] = map[string]any{"facility": f, "card": n}
		}
	}
	if format != "" {
		b["format"] = format
	}
	if locks != "" {
		b["locks"] = locks
	}
	return b
}

func userState(verb, state string) func(*flag.FlagSet, []string, io.Writer, io.Writer) error {
	return func(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
		p := addPeopleFlags(fs)
		pos, c, err := p.parse(fs, args, "user "+verb, "USER")
		if err != nil {
			return err
		}
		var u apiUser
		raw, err := c.callInto("PATCH", userPath(pos[0]), map[string]any{"state": state}, &u)
		if err != nil {
			return asExit(fmt.Errorf("user %s: %w", verb, err))
		}
		if *p.json {
			printJSON(stdout, raw)
			return nil
		}
		fmt.Fprintf(stdout, "user %d %q is %s\n", u.UID, u.Name, u.State)
		return nil
	}
}

func userDelete(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	pos, c, err := p.parse(fs, args, "user delete", "USER")
	if err != nil {
		return err
	}
	if _, err := c.call("DELETE", userPath(pos[0]), nil); err != nil {
		return asExit(fmt.Errorf("user delete: %w", err))
	}
	if !*p.json {
		fmt.Fprintf(stdout, "deleted user %s and their cards and PINs\n", pos[0])
	}
	return nil
}

func cardAdd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	format := fs.String("format", "", "the card's Wiegand format: h10301, 34bit, c1000 or h10304 (binds it to it)")
	locks := fs.String("locks", "", "doors this card opens, both, 1 or 2 (default: the user's)")
	pos, c, err := p.parse(fs, args, "card add", "USER", "VALUE")
	if err != nil {
		return err
	}
	var cr apiCred
	raw, err := c.callInto("POST", userPath(pos[0])+"/credentials", cardBody(pos[1], *format, *locks), &cr)
	if err != nil {
		return asExit(fmt.Errorf("card add: %w", err))
	}
	if *p.json {
		printJSON(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "card %s added to user %s (credential %d)\n", cr.Value, pos[0], cr.ID)
	return nil
}

func cardList(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	pos, c, err := p.parse(fs, args, "card list", "USER")
	if err != nil {
		return err
	}
	var creds struct {
		Items []apiCred `json:"items"`
	}
	raw, err := c.callInto("GET", userPath(pos[0])+"/credentials", nil, &creds)
	if err != nil {
		return asExit(fmt.Errorf("card list: %w", err))
	}
	if *p.json {
		printJSON(stdout, raw)
		return nil
	}
	printCreds(stdout, creds.Items)
	return nil
}

// credPath checks that id is a credential id (a number) before it goes
// into a URL.
func credPath(cmd, id string) (string, error) {
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", usageErrorf("%s: CREDENTIAL %q: want the credential's id, a number (doord card list USER shows them)", cmd, id)
	}
	return "/api/v1/credentials/" + id, nil
}

func cardShow(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	pos, c, err := p.parse(fs, args, "card show", "CREDENTIAL")
	if err != nil {
		return err
	}
	path, err := credPath("card show", pos[0])
	if err != nil {
		return err
	}
	var cr apiCred
	raw, err := c.callInto("GET", path, nil, &cr)
	if err != nil {
		return asExit(fmt.Errorf("card show: %w", err))
	}
	if *p.json {
		printJSON(stdout, raw)
		return nil
	}
	if cr.UserID == "" {
		cr.UserID = "none (opens on its own fields)" // user_id null: a credential without a user
	}
	fmt.Fprintf(stdout, "user %s\n", cr.UserID)
	printCreds(stdout, []apiCred{cr})
	return nil
}

func cardRemove(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	p := addPeopleFlags(fs)
	pos, c, err := p.parse(fs, args, "card remove", "CREDENTIAL")
	if err != nil {
		return err
	}
	path, err := credPath("card remove", pos[0])
	if err != nil {
		return err
	}
	if _, err := c.call("DELETE", path, nil); err != nil {
		return asExit(fmt.Errorf("card remove: %w", err))
	}
	if !*p.json {
		fmt.Fprintf(stdout, "removed credential %s\n", pos[0])
	}
	return nil
}
