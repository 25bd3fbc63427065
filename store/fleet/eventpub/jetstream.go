package eventpub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsSink publishes to the site's stream through JetStream.
type jsSink struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	opt      *Options
	stream   string
	subject  string
	statusCh chan nats.Status
}

func newJetStreamSink(nc *nats.Conn, opt *Options) (*jsSink, error) {
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(opt.Window),
		jetstream.WithPublishAsyncTimeout(opt.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("eventpub: %w", err)
	}
	return &jsSink{
		nc: nc, js: js, opt: opt,
		stream:   StreamName(opt.Site),
		subject:  Subject(opt.Site, opt.Controller),
		statusCh: nc.StatusChanged(),
	}, nil
}

func (s *jsSink) up() bool                    { return s.nc.IsConnected() }
func (s *jsSink) changed() <-chan nats.Status { return s.statusCh }
func (s *jsSink) close()                      { s.nc.RemoveStatusListener(s.statusCh) }

// ensure creates the stream when it does not exist, and widens one that
// exists when it does not take this controller's subject or keeps
// duplicates for less than DuplicateWindow; it leaves an existing
// stream's other settings (limits, replicas) as its owner made them.
func (s *jsSink) ensure(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.AckTimeout)
	defer cancel()
	all := "doord." + s.opt.Site + ".events.>"
	st, err := s.js.Stream(ctx, s.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        s.stream,
			Description: "doord events of site " + s.opt.Site,
			Subjects:    []string{all},
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      s.opt.MaxAge,
			Duplicates:  s.opt.DuplicateWindow,
			AllowDirect: true,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil // another controller of the site made it meanwhile
		}
		return err
	}
	if err != nil {
		return err
	}
	cfg := st.CachedInfo().Config
	covered := slices.ContainsFunc(cfg.Subjects, func(sub string) bool {
		return sub == all || sub == s.subject || sub == "doord."+s.opt.Site+".>" || sub == ">"
	})
	if covered && cfg.Duplicates >= s.opt.DuplicateWindow {
		return nil
	}
	if !covered {
		cfg.Subjects = append(cfg.Subjects, all)
	}
	cfg.Duplicates = max(cfg.Duplicates, s.opt.DuplicateWindow)
	_, err = s.js.UpdateStream(ctx, cfg)
	return err
}

// publish sends evs asynchronously (up to Window in flight) and reads
// the acknowledgements in order.
func (s *jsSink) publish(ctx context.Context, evs []store.Event) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	var sendErr error
	buf := make([]byte, 0, 320*len(evs))
	for _, ev := range evs {
		start := len(buf)
		buf = ev.AppendJSON(buf)
		m := nats.NewMsg(s.subject)
		m.Data = buf[start:len(buf):len(buf)]
		f, err := s.js.PublishMsgAsync(m,
			jetstream.WithMsgID(MsgID(s.opt.Controller, ev.Seq)),
			jetstream.WithExpectStream(s.stream))
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(s.opt.AckTimeout + time.Second) // the futures time out by themselves first
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return i, fmt.Errorf("event %d: %w", evs[i].Seq, err)
		case <-ctx.Done():
			return i, ctx.Err()
		case <-timeout.C:
			return i, fmt.Errorf("event %d: no acknowledgement", evs[i].Seq)
		}
	}
	if sendErr != nil {
		return len(futures), fmt.Errorf("event %d: %w", evs[len(futures)].Seq, sendErr)
	}
	return len(futures), nil
}
