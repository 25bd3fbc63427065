package metrics

// The metric families, in output order. Their names, labels and meaning
// are documented in README.md (Metrics); a name never changes meaning.
const (
	famBuildInfo        = "doord_build_info"
	famDecisions        = "doord_decisions_total"
	famBadReads         = "doord_bad_reads_total"
	famQuiet            = "doord_decisions_quiet_total"
	famDecisionSeconds  = "doord_decision_duration_seconds"
	famDoorLocked       = "doord_door_locked"
	famDoorOpen         = "doord_door_open"
	famDoorMode         = "doord_door_mode"
	famDoorAlarm        = "doord_door_alarm"
	famEventsWritten    = "doord_events_written_total"
	famEventsDropped    = "doord_events_dropped_total"
	famEventsEvicted    = "doord_events_evicted_total"
	famEventsQueued     = "doord_events_queued"
	famEventSubsDropped = "doord_event_subscribers_dropped_total"
	famFleetPublished   = "doord_fleet_events_published_total"
	famFleetPending     = "doord_fleet_events_pending"
	famFleetDropped     = "doord_fleet_events_dropped_total"
	famFleetAckAge      = "doord_fleet_events_last_ack_age_seconds"
	famFeedResyncs      = "doord_feed_resyncs_total"
	famFeedResyncErrors = "doord_feed_resync_errors_total"
	famFeedOverflows    = "doord_feed_overflows_total"
	famFeedPanics       = "doord_feed_panics_total"
	famFeedSubscribers  = "doord_feed_subscribers"
	famStoreBytes       = "doord_store_file_size_bytes"
	famStoreSeq         = "doord_store_sequence"
	famCommitSeconds    = "doord_store_commit_duration_seconds"
	famSessions         = "doord_sessions"
	famHTTPRequests     = "doord_http_requests_total"
	famHTTPSeconds      = "doord_http_request_duration_seconds"
	famGoroutines       = "go_goroutines"
	famGoMemory         = "go_memory_mapped_bytes"
	famGoHeap           = "go_heap_objects_bytes"
	famGCCycles         = "go_gc_cycles_total"
	famResident         = "process_resident_memory_bytes"
	famStartTime        = "process_start_time_seconds"

	famFleetLive            = "doord_fleet_live"
	famFleetStale           = "doord_fleet_stale"
	famFleetRevision        = "doord_fleet_revision"
	famFleetOffline         = "doord_fleet_offline_seconds"
	famFleetConflicts       = "doord_fleet_conflicts_total"
	famFleetRefused         = "doord_fleet_refused_total"
	famFleetOfflineRefusals = "doord_fleet_offline_refusals_total"
)

type familyDef struct {
	name, typ, help string
	presentIf       func(Sources) bool // nil: always
}

func (f familyDef) present(s Sources) bool { return f.presentIf == nil || f.presentIf(s) }

func hasDecisions(s Sources) bool { return s.Decisions != nil }
func hasDoors(s Sources) bool     { return s.Doors != nil }
func hasEvents(s Sources) bool    { return s.Events != nil }
func hasStore(s Sources) bool     { return s.Store != nil }
func hasFleetEvents(s Sources) bool {
	return s.FleetEvents != nil
}
func hasFleet(s Sources) bool { return s.Fleet != nil }

var families = []familyDef{
	{famBuildInfo, "gauge", "Always 1; the version label is the running binary's.", nil},
	{famDecisions, "counter", "Access decisions by reader and result (granted, denied), denials by reason (the event reason codes), as the engine made them.", hasDecisions},
	{famBadReads, "counter", "Reads the reader delivered damaged (parity, length, split frames), by reader; also counted as denied with reason bad_read.", hasDecisions},
	{famQuiet, "counter", "Unknown cards denied without an event after an unknown_card_burst alarm (card-flood throttle), by reader.", hasDecisions},
	{famDecisionSeconds, "histogram", "Time the access engine took to answer one presentation, measured in the door loop.", func(s Sources) bool { return s.DecisionLatency != nil }},
	{famDoorLocked, "gauge", "1 when the door's relay was last driven locked successfully; 0 when unlocked or a lock command is failing.", hasDoors},
	{famDoorOpen, "gauge", "1 when the door contact says open.", hasDoors},
	{famDoorMode, "gauge", "1 for the door's effective mode (normal, unlocked, locked_down, disabled), 0 for the others.", hasDoors},
	{famDoorAlarm, "gauge", "1 while the alarm is active at the door (door_forced, door_held_prealarm, door_held, tamper, relay_fault, door_fault).", hasDoors},
	{famEventsWritten, "counter", "Events committed to the event log since start.", hasEvents},
	{famEventsDropped, "counter", "Events lost since start: the write queue was full or a disk write failed.", hasEvents},
	{famEventsEvicted, "counter", "Old events deleted from the ring to keep its capacity, since start.", hasEvents},
	{famEventsQueued, "gauge", "Events waiting to be written to the event log (its queue depth).", hasEvents},
	{famEventSubsDropped, "counter", "Live event subscribers (streams) dropped for not keeping up, since start.", hasEvents},
	{famFleetPublished, "counter", "Events the fleet's event stream acknowledged since start (duplicates it recognized included).", hasFleetEvents},
	{famFleetPending, "gauge", "Events in the log the fleet's event stream has not acknowledged yet.", hasFleetEvents},
	{famFleetDropped, "counter", "Events the ring evicted before they were published to the fleet, since start.", hasFleetEvents},
	{famFleetAckAge, "gauge", "Seconds since the fleet's event stream last acknowledged an event; -1 before the first since start.", hasFleetEvents},
	{famFeedResyncs, "counter", "Change-feed followers (engine index, caches, fleet sync) resynced after a panic or an overflowed queue, since start.", hasStore},
	{famFeedResyncErrors, "counter", "Change-feed resyncs that failed and are retried, since start.", hasStore},
	{famFeedOverflows, "counter", "Change-feed queues dropped for a slow follower, since start.", hasStore},
	{famFeedPanics, "counter", "Change-feed follower panics recovered, since start.", hasStore},
	{famFeedSubscribers, "gauge", "Followers of the store's change feed.", hasStore},
	{famStoreBytes, "gauge", "Size of the store file (bbolt) on disk.", hasStore},
	{famStoreSeq, "gauge", "Sequence number of the store's last committed write.", hasStore},
	{famCommitSeconds, "histogram", "Time a store write took from its call until it was durable (fsync) and delivered to the change feed.", func(s Sources) bool { return s.CommitLatency != nil }},
	{famSessions, "gauge", "Operator sessions in the store (native and BAS-IP; expired ones until the next purge).", hasStore},
	{famFleetLive, "gauge", "1 while the fleet's watch is connected and caught up (fleet mode only).", hasFleet},
	{famFleetStale, "gauge", "1 while the controller has been away from its fleet longer than max_offline and the offline policy applies.", hasFleet},
	{famFleetRevision, "gauge", "Last fleet bucket revision applied to the local store.", hasFleet},
	{famFleetOffline, "gauge", "Seconds since the fleet's watch stopped being live; 0 while live.", hasFleet},
	{famFleetConflicts, "counter", "Record writes refused with 409 because the record changed on another controller, since start.", hasFleet},
	{famFleetRefused, "counter", "Fleet records the local store left out (a unique value held by another record), since start.", hasFleet},
	{famFleetOfflineRefusals, "counter", "Record writes refused with 503 because the fleet was unreachable, since start.", hasFleet},
	{famHTTPRequests, "counter", "API requests by route pattern, method and status.", nil},
	{famHTTPSeconds, "histogram", "API request handling time by route pattern and method.", nil},
	{famGoroutines, "gauge", "Goroutines that exist now.", nil},
	{famGoMemory, "gauge", "Memory the Go runtime has mapped from the OS (heap, stacks, its own structures).", nil},
	{famGoHeap, "gauge", "Heap memory occupied by live and not yet swept objects.", nil},
	{famGCCycles, "counter", "Completed garbage collection cycles.", nil},
	{famResident, "gauge", "Resident set size of the process (Linux).", nil},
	{famStartTime, "gauge", "Start time of the process since the Unix epoch.", nil},
}
