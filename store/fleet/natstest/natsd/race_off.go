//go:build !race

package main

// raceBuild: see race_on.go.
const raceBuild = false
