package main

// The time-zone database is compiled in (about 450 KB) so that a minimal
// board image without /usr/share/zoneinfo still accepts a zone such as
// "Europe/Berlin" in the config: time profiles are evaluated on the local
// wall clock, and a missing zone would otherwise stop the start.
import _ "time/tzdata"
