package eventpub

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/doord/doord/store"
)

// loadCursor reads the stored cursor; fresh when none was ever stored.
func loadCursor(s Settings) (cur uint64, fresh bool, err error) {
	b, err := s.GetSetting(CursorKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, true, nil
	case err != nil:
		return 0, false, fmt.Errorf("eventpub: reading the cursor: %w", err)
	case len(b) != 8:
		return 0, false, fmt.Errorf("eventpub: setting %s is %d bytes, not 8", CursorKey, len(b))
	}
	return binary.BigEndian.Uint64(b), false, nil
}

// saveCursor stores the cursor if it moved since it was last stored.
// Only persistLoop and Close (after persistLoop stopped) call it.
func (p *Publisher) saveCursor() error {
	cur := p.cursor.Load()
	if cur == p.persisted.Load() {
		return nil
	}
	if err := p.opt.Store.PutSetting(CursorKey, binary.BigEndian.AppendUint64(nil, cur)); err != nil {
		return fmt.Errorf("eventpub: storing the cursor: %w", err)
	}
	p.persisted.Store(cur)
	return nil
}
