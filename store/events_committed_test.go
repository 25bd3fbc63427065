package store_test

import (
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// Committed wakes a waiter at the next commit, and at once after Close.
func TestEventLogCommittedWakesAtNextCommitAndClose(t *testing.T) {
	l := openLog(t, storetest.Open(t), store.EventOptions{}, nil)
	ch := l.Committed()
	select {
	case <-ch:
		t.Fatal("Committed closed before any commit")
	default:
	}
	l.Append(store.Event{Type: store.EventREX, Door: "1"})
	<-ch // the writer commits the event and wakes us; a miss hangs here
	if l.LastSeq() != 1 {
		t.Fatalf("woken before the commit: last seq %d", l.LastSeq())
	}
	ch = l.Committed()
	l.Close()
	<-ch
	<-l.Committed() // after Close: closed at once
	l.Close()       // twice is safe
}
