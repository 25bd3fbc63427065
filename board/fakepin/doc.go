// Package fakepin is a periph gpio.PinIO that records every level it is
// driven to, with the time, and lets tests and the simulator drive inputs.
//
// periph's own gpiotest.Pin would do for inputs, but it pulls in
// github.com/jonboulle/clockwork (not in go.mod) and keeps no history;
// the simulator needs the history of every relay, LED and buzzer level.
package fakepin
