// Package authtest is for the tests of packages that log operators in:
// CheapHashes makes their argon2id hashes cheap. doord itself never
// imports it (a test in this package checks that).
package authtest
