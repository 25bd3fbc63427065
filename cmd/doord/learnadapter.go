package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/device"
	"github.com/doord/doord/httpapi"
)

// learnAdapter gives the API's learn route the door runtime's card reads
// (device.Runtime.NextCard) as values the credential API accepts.
type learnAdapter struct{ rt *device.Runtime }

func (a learnAdapter) NextCard(ctx context.Context, reader string) (httpapi.LearnedCard, error) {
	c, err := a.rt.NextCard(ctx, reader)
	if errors.Is(err, device.ErrUnknownReader) {
		return httpapi.LearnedCard{}, fmt.Errorf("%w: %w", httpapi.ErrNoReader, err)
	}
	if err != nil {
		return httpapi.LearnedCard{}, err
	}
	lc := httpapi.LearnedCard{Value: access.FormatCard(c.Value), Bits: c.Bits}
	if access.FrameFormat(c.Format, c.Bits) != 0 {
		lc.Format = c.Format // a format the credential API knows; else a plain number
	}
	return lc, nil
}
