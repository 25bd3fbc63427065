package store

// OpenEventLogForTest opens an event log whose writer calls beforeWrite
// with each batch before its transaction; an error from it fails the
// batch as a disk error would, and blocking in it stalls the writer.
func OpenEventLogForTest(s *Store, opt EventOptions, beforeWrite func([]Event) error) (*EventLog, error) {
	return openEventLog(s, opt, beforeWrite)
}
