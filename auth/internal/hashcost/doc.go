// Package hashcost holds whether this process makes its argon2id password
// hashes at the test cost instead of the real one. It sits apart from auth
// so that Go's internal rule lets only auth (which reads it) and
// auth/authtest (which sets it, and only inside a test binary) reach it.
package hashcost
