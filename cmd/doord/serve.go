package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/device"
	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/httpapi/basip"
	"github.com/doord/doord/httpapi/metrics"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/autobackup"
	"github.com/doord/doord/store/fleet"
	"github.com/nats-io/nats.go"
)

const serveHelp = `Runs the daemon until SIGINT or SIGTERM. The config file (TOML) sets the
board, doors and readers; --listen and --data override it. Without
--config there is no board: only the API runs on the store (doord warns).
On first start with an empty store doord creates the operator "admin"
with the password in DOORD_ADMIN_PASSWORD, or a random one it prints once
and writes to DATA/admin-password (mode 0600).
Exit status: 0 after a clean stop, 1 when it cannot start (the message
says why), 70 after an internal fault (every relay secured first).`

func serveRun(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	cfg, err := serveConfig(fs, args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serveCmd(ctx, cfg, stdout, stderr)
}

func serveCmd(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	d, err := startDaemon(cfg, stdout, stderr)
	if err != nil {
		return err
	}
	<-ctx.Done()
	d.log.Info("stopping", "signal", context.Cause(ctx))
	return d.stop()
}

// serveConfig reads the config file named by --config and lays the other
// flags over it.
func serveConfig(fs *flag.FlagSet, args []string) (Config, error) {
	cfgPath := fs.String("config", "", "config file (TOML)")
	listen := fs.String("listen", "", "HTTP listen address (overrides the config; default 127.0.0.1:8080)")
	data := fs.String("data", "", "data directory (overrides the config; default ./data)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return Config{}, err
	}
	if len(pos) > 0 {
		return Config{}, usageErrorf("serve: unexpected argument %q", pos[0])
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return cfg, err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *data != "" {
		cfg.Data = *data
	}
	return cfg, cfg.validate()
}

// daemon is one running doord: board, store, event log, access engine,
// door runtime, API.
type daemon struct {
	log    *slog.Logger
	st     *store.Store
	events *store.EventLog
	brd    *board.Board
	engine *access.Engine
	follow func() // stops the engine following the change feed
	// resched is the door runtime once it runs, for the engine's feed to
	// tell about time profile changes (engfeed.go).
	resched atomic.Pointer[device.Runtime]
	doors   *device.Runtime
	api     *httpapi.Server
	sup     *supervisor
	notify  *notifier
	hbStop  chan struct{} // stops the watchdog heartbeat
	hbDone  chan struct{}
	ln      net.Listener // the API: HTTPS when TLS is configured
	// plainLn is plain HTTP beside TLS (http.plain_listen), or nil.
	plainLn net.Listener
	serving int // Serve calls that report on done
	done    chan error
	console *consoleEvents // the door events on the log
	fevents *fleetEvents   // the fleet's events and commands (fleetevents.go)
	backups *autobackup.Scheduler
	bkStop  context.CancelFunc // ends the backup schedule
	bkDone  chan struct{}
	admin   string       // the generated first-start password, for tests
	fleet   *fleet.Fleet // fleet mode (fleet.go), or nil
	nc      *nats.Conn   // the fleet's connection, or nil

	// The latency histograms the store and the door path fill (metrics.go).
	commitLat, decisionLat *metrics.Latency
}

// startDaemon brings doord up in the order that keeps doors safe: the
// board first (its relays are driven to the locked level before anything
// else can run), then the store, then the API.
func startDaemon(cfg Config, stdout, stderr io.Writer) (d *daemon, err error) {
	cfg.accessDefaults() // idempotent; configs built in code get the file's defaults too
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	d = &daemon{log: log, done: make(chan error, 2),
		commitLat: metrics.NewLatency(metrics.CommitBuckets...), decisionLat: metrics.NewLatency(metrics.DecisionBuckets...)}
	// The supervisor first: the board's goroutines start in board.Open.
	d.sup = newSupervisor(log)
	defer func() {
		if err != nil {
			d.closeAll()
		}
	}()
	if cfg.Board.Kind == "" {
		log.Warn("no board: no doors, readers or relays run, only the API on the store; " +
			"give --config a file with a [board] section (make run uses doord.example.toml, the simulated board)")
	} else {
		d.brd, err = board.Open(cfg.Board, log.With("part", "board"))
		if err != nil {
			return d, fmt.Errorf("board: %w", err)
		}
		d.sup.watch(d.brd, nil)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return d, fmt.Errorf("data directory: %w", err)
	}
	dbPath := filepath.Join(cfg.Data, "doord.db")
	d.st, err = store.Open(dbPath, store.Options{Timeout: time.Second, DuressOffset: duressOffset(cfg), Logger: log.With("part", "store"),
		ObserveCommit: d.commitLat.Observe})
	if err != nil {
		return d, err
	}
	d.events, err = store.OpenEventLog(d.st, store.EventOptions{Capacity: cfg.Events.Capacity, Logger: log.With("part", "events"),
		UserID: userIDs(d.st)})
	if err != nil {
		return d, fmt.Errorf("event log: %w", err)
	}
	d.console = startConsoleEvents(d.events, log.With("part", "doors"))
	events := d.events
	d.st.OnDamaged(func(reason string) {
		// The doors go on from memory; the API answers 503 where it reads
		// the damage and /health says degraded.
		log.Error("store damaged: a page could not be read; run `doord check --store` and restore a backup (doord restore)", "file", dbPath, "reason", reason)
		events.Append(store.Event{Type: store.EventStoreDamaged, Detail: reason})
	})
	// The operator "admin" is made (or its pending first password checked:
	// an argon2id verification, tens of ms and 19 MiB) beside the engine's
	// load, which it does not touch; it is done before the API listens.
	admin := startBootstrapAdmin(d.st, cfg.Data, os.Getenv("DOORD_ADMIN_PASSWORD"))
	defer admin.wait() // on an early return, before closeAll closes the store
	if err := d.startBackups(cfg.Backup, log); err != nil {
		return d, err
	}
	if d.brd != nil {
		if err := d.startDoors(cfg, log); err != nil {
			return d, err
		}
	}
	pw, err := admin.wait()
	if err != nil {
		return d, err
	}
	d.admin = pw
	if err := d.startFleet(cfg.Fleet, log); err != nil {
		return d, fmt.Errorf("fleet: %w", err)
	}
	if d.nc != nil {
		if err := d.startFleetEvents(d.nc, cfg.Fleet.Site, cfg.Fleet.Controller, cfg.Fleet.Groups); err != nil {
			return d, fmt.Errorf("fleet events: %w", err)
		}
	}
	hc := httpapi.Config{
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, MaxImportBytes: cfg.HTTP.MaxImportBytes, ReadTimeout: cfg.HTTP.ReadTimeout.Duration,
		WriteTimeout: cfg.HTTP.WriteTimeout.Duration, IdleTimeout: cfg.HTTP.IdleTimeout.Duration,
		MaxConnsPerIP: cfg.HTTP.MaxConnsPerIP, Concurrency: cfg.HTTP.Concurrency,
		TokenTTL: cfg.HTTP.TokenTTL.Duration, Version: version,
	}
	hc.Lockout = auth.DefaultLockout
	serial, err := deviceSerial(cfg.BASIP.Serial, cfg.Data)
	if err != nil {
		return d, err
	}
	hc.BASIPInfo = basip.Info{Commit: buildCommit(), DeviceName: cfg.BASIP.DeviceName, Serial: serial}
	hc.BASIPLocks = cfg.basipLocks()
	if cfg.Access.TimeZone != "" { // validated at load; the BAS-IP time profiles read unix times in it
		if loc, err := time.LoadLocation(cfg.Access.TimeZone); err == nil {
			hc.Location = loc
		}
	}
	if t := cfg.Login.LockoutThreshold; t != nil {
		hc.Lockout.Threshold = *t
	}
	if cfg.Login.LockoutDuration.Duration > 0 {
		hc.Lockout.Duration = cfg.Login.LockoutDuration.Duration
	}
	hc.MaxSessionsPerOperator = cfg.Login.MaxSessions
	var sim httpapi.Simulator
	if d.brd != nil && d.brd.Sim() != nil {
		sim = simAdapter{d.brd.Sim()}
	}
	if hc.ScrapeToken, err = cfg.Metrics.scrapeToken(); err != nil {
		return d, err
	}
	parts := httpapi.Parts{Sim: sim, Events: d.events, Metrics: d.newMetrics()}
	if d.doors != nil {
		parts.Doors = doorsAdapter{d.doors}
		parts.Learner = learnAdapter{d.doors}
	}
	cert, certMade, err := loadTLS(cfg.HTTP, cfg.Data)
	if err != nil {
		return d, err
	}
	hc.PlainHealthOnly = cert != nil && cfg.HTTP.Plain != "all"
	d.api = httpapi.New(d.st, hc, log.With("part", "http"), parts)
	if err := d.listen(cfg, cert); err != nil {
		return d, err
	}
	if err := d.startNotify(os.Getenv); err != nil {
		return d, err
	}
	log.Info("doord started", "version", version, "listen", d.ln.Addr().String(), "tls", cert != nil, "data", cfg.Data,
		"board", cfg.Board.Kind, "schema", d.st.SchemaVersion())
	if cert != nil {
		log.Info("tls certificate", "sha256", httpapi.Fingerprint(*cert), "plain_listen", cfg.HTTP.PlainListen, "plain", cmp.Or(cfg.HTTP.Plain, "health"))
	}
	if pw != "" {
		printFirstLogin(stdout, d.ln.Addr().String(), cfg.Data, pw)
	}
	if cert != nil && (pw != "" || certMade) {
		printTLS(stdout, d.ln.Addr().String(), cfg.Data, cert, cfg.HTTP.TLS == "self-signed")
	}
	return d, nil
}

// startBackups starts the scheduled local backups when backup.dir is set.
func (d *daemon) startBackups(cfg BackupConfig, log *slog.Logger) (err error) {
	if cfg.Dir == "" {
		return nil
	}
	cfg = cfg.withDefaults()
	d.backups, err = autobackup.New(d.st, autobackup.Options{Dir: cfg.Dir, Every: cfg.Every.Duration, Keep: cfg.Keep,
		Verify: d.st.VerifyBackup, Log: log.With("part", "backup")})
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	d.bkStop, d.bkDone = stop, make(chan struct{})
	done, s := d.bkDone, d.backups
	fault.Go("backup.schedule", func() {
		defer close(done)
		s.Run(ctx)
	})
	log.Info("scheduled backups on", "dir", cfg.Dir, "every", cfg.Every.Duration, "keep", cfg.Keep)
	return nil
}

// listen opens the API's listeners: listen (HTTPS when cert is set) and,
// with TLS, plain_listen if configured. Each Serve reports on d.done.
func (d *daemon) listen(cfg Config, cert *tls.Certificate) (err error) {
	if d.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cert != nil && cfg.HTTP.PlainListen != "" {
		if d.plainLn, err = net.Listen("tcp", cfg.HTTP.PlainListen); err != nil {
			d.ln.Close()
			return fmt.Errorf("http.plain_listen: %w", err)
		}
	}
	if cert != nil {
		tc := httpapi.TLSConfig(*cert)
		fault.Go("http.serve", func() { d.done <- d.api.ServeTLS(d.ln, tc) })
	} else {
		fault.Go("http.serve", func() { d.done <- d.api.Serve(d.ln) })
	}
	d.serving++
	if d.plainLn != nil {
		fault.Go("http.serve.plain", func() { d.done <- d.api.Serve(d.plainLn) })
		d.serving++
	}
	return nil
}

func (d *daemon) addr() string { return d.ln.Addr().String() }

// startNotify tells systemd (Type=notify) that doord is ready, and when
// the unit has WatchdogSec= starts the heartbeat, which stops when a door
// loop stops answering (see heartbeat). Without $NOTIFY_SOCKET it does
// nothing.
func (d *daemon) startNotify(getenv func(string) string) error {
	n, err := newNotifier(getenv("NOTIFY_SOCKET"))
	if err != nil {
		return err
	}
	d.notify = n
	wd, err := watchdogInterval(getenv, os.Getpid())
	if err != nil {
		return err
	}
	if err := n.notify("READY=1\nSTATUS=serving on " + d.addr()); err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	if wd == 0 || n == nil {
		return nil
	}
	d.hbStop, d.hbDone = make(chan struct{}), make(chan struct{})
	doors, sup, stop, done := d.doors, d.sup, d.hbStop, d.hbDone
	alive := func(timeout time.Duration) error {
		if doors == nil {
			return nil
		}
		return doors.Alive(timeout)
	}
	fault.Go("doord.watchdog", func() {
		defer close(done)
		heartbeat(stop, wd, alive, n.notify, sup.wedged, d.log.Warn)
	})
	d.log.Info("systemd watchdog on", "timeout", wd)
	return nil
}

// stop shuts the API down (in-flight requests finish), then the board
// (relays to the locked level), then the store.
func (d *daemon) stop() error {
	var errs []error
	d.notify.notify("STOPPING=1")
	if d.api != nil {
		errs = append(errs, d.api.Shutdown())
		// fasthttp's Shutdown closes only the listeners whose Serve had
		// started; one still starting would then serve for ever.
		d.ln.Close()
		if d.plainLn != nil {
			d.plainLn.Close()
		}
		for range d.serving {
			if err := <-d.done; err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, d.closeAll())
	d.log.Info("doord stopped")
	return errors.Join(errs...)
}

// startDoors loads the access engine from the store, has it follow the
// change feed, and starts the door runtime on the board.
func (d *daemon) startDoors(cfg Config, log *slog.Logger) error {
	ec, err := engineConfig(cfg)
	if err != nil {
		return err
	}
	dc, err := deviceConfig(cfg, log.With("part", "doors"))
	if err != nil {
		return fmt.Errorf("doors: %w", err)
	}
	t0 := time.Now()
	// The engine persists the passes limited credentials spend (its own
	// writer goroutine, off the door path).
	ec.Passes, ec.Log, ec.Go = d.st, log.With("part", "passes"), fault.Go
	d.engine = access.NewEngine(ec)
	if d.follow, err = d.engine.Follow(engineFeed{d.st, d.reschedule}); err != nil {
		return err
	}
	st := d.engine.Stats(time.Now())
	log.Info("access engine loaded", "users", st.Users, "cards", st.Cards, "pins", st.PINs, "took", time.Since(t0).Round(time.Millisecond))
	// Door settings made over the API are read before any door runs, so
	// that a lockdown survives a crash and no door starts in a mode it
	// should not have (device/modes.go has the boot order).
	if dc.Settings, dc.BadSettings, err = d.st.DoorSettings(); err != nil {
		return fmt.Errorf("doors: reading stored door settings: %w", err)
	}
	for _, id := range dc.BadSettings {
		log.Error("stored door setting unreadable; the door starts locked_down", "door", id)
	}
	dc.Modes, dc.Schedules, dc.Location = d.st, d.engine, ec.Location
	for _, door := range dc.Doors {
		if door.UnlockSchedule != 0 && d.engine.Schedule(door.UnlockSchedule) == nil {
			log.Warn("unlock schedule names no time profile; the door stays locked until one is created", "door", door.ID, "profile", door.UnlockSchedule)
		}
	}
	d.doors, err = device.New(dc, d.brd, timedDecider{d.engine, d.decisionLat}, eventSink{d.events}, d.engine)
	if err != nil {
		return fmt.Errorf("doors: %w", err)
	}
	d.resched.Store(d.doors)
	d.sup.watch(nil, d.doors)
	eng, evs := d.engine, d.events
	d.sup.drainOnExit(eng.Close, func() { evs.Close() })
	return nil
}

// closeAll stops what is running in the reverse order of start: doors
// locked first, the disk last.
func (d *daemon) closeAll() error {
	var errs []error
	if d.bkStop != nil {
		d.bkStop() // a backup being copied finishes first
		<-d.bkDone
		d.bkStop = nil
	}
	if d.hbStop != nil {
		close(d.hbStop)
		<-d.hbDone
		d.hbStop = nil
	}
	errs = append(errs, d.stopFleetEvents()) // it drives the doors and reads the log
	d.notify.close()
	d.notify = nil
	d.stopFleet() // no fleet write may land in a closing store
	if d.doors != nil {
		errs = append(errs, d.doors.Close())
		d.doors = nil
	}
	if d.engine != nil {
		d.engine.Close() // every queued pass spend on disk before the store closes
		d.engine = nil
	}
	if d.follow != nil {
		d.follow()
		d.follow = nil
	}
	if d.events != nil {
		errs = append(errs, d.console.closeWith(d.events))
		d.events = nil
	}
	if d.brd != nil {
		errs = append(errs, d.brd.Close())
		d.brd = nil
	}
	if d.st != nil {
		errs = append(errs, d.st.Close())
		d.st = nil
	}
	if d.sup != nil {
		d.sup.stop()
		d.sup = nil
	}
	return errors.Join(errs...)
}
