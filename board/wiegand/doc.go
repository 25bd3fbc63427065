// Package wiegand owns the Wiegand decoder: falling edges on D0/D1 with
// their hardware timestamps in, frames out — a card (H10301, 34-bit,
// Corporate 1000, H10304 with their parity, or raw), a keypad key (4- or
// 8-bit bursts), or a bad read naming why. Time comes only from the edges,
// so a live reader, a batch from a stalled goroutine and an offline replay
// (ParseCapture, `doord decode`) decode alike.
//
// A damaged frame is a bad read, never somebody else's card: the decoder
// refuses intervals below a physical minimum (Config.MinInterval, 150 µs)
// and intervals out of the frame's rhythm, confirms a frame of the
// configured length with a short silence (Decoder.Confirm), binds edges
// that come within the gap after a closed frame to it, refuses pieces that
// continue a damaged piece after a stall and keys followed too soon by
// more bits, and produces keys only on readers with a keypad. What the
// formats cannot show (two flips in one parity half, 4-bit keys, raw
// frames) is measured by the damage harness (damage_test.go).
//
// It also owns the card formats (format.go), pulse trains for the
// simulator (train.go), the capture reader (capture.go) and the Source
// interface where the hardware begins (edge.go). It imports nothing of
// doord.
package wiegand
